// Package lextable is the anonymiser's word lists in a form that costs nothing to load: one
// open-addressing hash table over every word of every list, built ahead of time (go generate)
// and embedded in the binary as bytes. Looking a word up reads a few bytes of that table in
// place; nothing is decoded or allocated at start-up, so `casecircle anonymise` starts at once
// and a server pays for the pages it touches only.
//
// Layout (all integers little-endian):
//
//	magic   "CCLX1\n"  6 bytes
//	slots   uint32     a power of two
//	table   slots × uint32: 0 for an empty slot, else 1 + the entry's offset in the blob
//	blob    entries: class (1 byte), length (1 byte), the word's bytes
//
// A word is found at hash(word) & (slots-1) or in the slots after it (linear probing).
package lextable

import (
	"encoding/binary"
	"errors"
	"fmt"
	"slices"
)

// Class is a bit set: the lists a word is on.
type Class uint8

const magic = "CCLX1\n"

// MaxWordLen is the longest word a table holds; longer ones are left out when building.
const MaxWordLen = 255

// Table is a read-only view of an encoded table.
type Table struct {
	data  string
	mask  uint32
	table int // offset of the slot array in data
	blob  int // offset of the blob in data
}

// Open checks the header of an encoded table and returns a view of it. It copies nothing.
func Open(data string) (*Table, error) {
	if len(data) < len(magic)+4 || data[:len(magic)] != magic {
		return nil, errors.New("lextable: not a lexicon table")
	}
	slots := binary.LittleEndian.Uint32([]byte(data[len(magic) : len(magic)+4]))
	if slots == 0 || slots&(slots-1) != 0 {
		return nil, errors.New("lextable: slot count is not a power of two")
	}
	t := &Table{data: data, mask: slots - 1, table: len(magic) + 4}
	t.blob = t.table + int(slots)*4
	if t.blob > len(data) {
		return nil, errors.New("lextable: truncated table")
	}
	return t, nil
}

// Lookup returns the classes of word, or 0 when no list holds it.
func (t *Table) Lookup(word string) Class {
	if len(word) == 0 || len(word) > MaxWordLen {
		return 0
	}
	for i := hash(word) & t.mask; ; i = (i + 1) & t.mask {
		p := t.table + int(i)*4
		ref := uint32(t.data[p]) | uint32(t.data[p+1])<<8 | uint32(t.data[p+2])<<16 | uint32(t.data[p+3])<<24
		if ref == 0 {
			return 0
		}
		e := t.blob + int(ref-1)
		n := int(t.data[e+1])
		if n == len(word) && t.data[e+2:e+2+n] == word {
			return Class(t.data[e])
		}
	}
}

// Build encodes the words of each class into a table. A word on several lists gets the union
// of their classes. The output depends only on the input, so a rebuild from the same lists
// gives the same bytes.
func Build(lists map[Class][]string) ([]byte, error) {
	classes := map[string]Class{}
	for c, words := range lists {
		for _, w := range words {
			if w == "" || len(w) > MaxWordLen {
				continue
			}
			classes[w] |= c
		}
	}
	words := make([]string, 0, len(classes))
	for w := range classes {
		words = append(words, w)
	}
	slices.Sort(words)
	slots := uint32(1)
	for slots < uint32(len(words))*4/3 { // at most three quarters full: short probe runs
		slots <<= 1
	}
	var blob []byte
	table := make([]uint32, slots)
	for _, w := range words {
		ref := uint32(len(blob)) + 1
		blob = append(blob, byte(classes[w]), byte(len(w)))
		blob = append(blob, w...)
		i := hash(w) & (slots - 1)
		for table[i] != 0 {
			i = (i + 1) & (slots - 1)
		}
		table[i] = ref
	}
	if len(blob) >= 1<<32-1 {
		return nil, fmt.Errorf("lextable: %d bytes of words is too many", len(blob))
	}
	out := make([]byte, 0, len(magic)+4+len(table)*4+len(blob))
	out = append(out, magic...)
	out = binary.LittleEndian.AppendUint32(out, slots)
	for _, ref := range table {
		out = binary.LittleEndian.AppendUint32(out, ref)
	}
	return append(out, blob...), nil
}

// hash is 32-bit FNV-1a: fixed, so tables built on one machine read the same on any other.
func hash(s string) uint32 {
	h := uint32(2166136261)
	for i := 0; i < len(s); i++ {
		h ^= uint32(s[i])
		h *= 16777619
	}
	return h
}
