package anonymise

// Small closed word classes the name detector reasons with. The large open lists (names, places,
// common words) are the gazetteers.

func wordSet(words ...string) set {
	s := make(set, len(words))
	for _, w := range words {
		s[w] = struct{}{}
	}
	return s
}

// titles precede a person's name: "Mr Pilkington", "Dr Keller", "Frau Becker".
var titles = wordSet("Mr", "Mrs", "Ms", "Miss", "Mx", "Dr", "Prof", "Professor", "Sir", "Dame", "Lord",
	"Lady", "Rev", "Revd", "Reverend", "Fr", "Cllr", "Councillor", "Judge", "Frau", "Herr", "Madame",
	"Mme", "Monsieur", "Señor", "Señora", "Sr", "Sra", "Signor", "Signora", "Sheikh", "Imam", "Rabbi",
	"Pastor", "Aunty", "Auntie", "Uncle", "Captain", "Capt", "Sgt", "Inspector", "Nurse", "Encik", "Puan",
	"Tuan", "Datuk", "Dato", "Datin", "Hajiya", "Alhaji", "Mw", "Mevr", "Dhr", "Khun",
	"Sister", "Brother", "Bishop", "Canon", "Father", "Ustaz", "Ustazah", "Mallam")

// legalForms end a company's name whatever precedes them: "Kestrel Freight plc".
var legalForms = wordSet("Ltd", "Limited", "plc", "PLC", "Plc", "LLP", "LLC", "Inc", "Incorporated",
	"Corp", "GmbH", "AG", "SA", "SAS", "SARL", "BV", "NV", "AB", "ASA", "Oy", "Pty", "Co")

// orgSuffixes end an organisation's name: "Kestrel Freight plc", "Severnside University".
var orgSuffixes = wordSet("Ltd", "Limited", "plc", "PLC", "Plc", "LLP", "LLC", "Inc", "Incorporated",
	"Corp", "Corporation", "GmbH", "AG", "SA", "SAS", "SARL", "BV", "NV", "AB", "AS", "ASA", "Oy",
	"KK", "Pty", "Co", "Company", "Partners", "Partnership", "Group", "Holdings", "Foundation", "Trust",
	"University", "College", "Academy", "School", "Primary", "High", "Institute", "Hospital",
	"Hospitals", "Surgery", "Clinic", "Practice", "Council", "Bank", "Building", "Hotel", "Hotels",
	"Insurance", "Pharmacy", "Motors", "Services", "Solutions", "Engineering", "Construction",
	"Capital", "Digital", "Health", "Healthcare", "Association", "Studio", "Studios", "Distillery",
	"Brewery", "Mutual", "Payments", "Games", "Robotics", "Foods", "Logistics", "Freight",
	"Analytics", "Design", "Designs", "Care", "Nursery", "Consulting", "Consultancy", "Consultants",
	"Agency", "Media", "Labs", "Systems", "Technologies", "Technology", "Tech", "Software",
	"Ventures", "Industries", "Enterprises", "Supplies", "Centre", "Center", "Church", "Club",
	"Society", "Charity", "Restaurant", "Café", "Cafe", "Bar", "Bakery", "Stores", "Retail",
	"Energy", "Water", "Housing", "Homes", "Properties", "Estates", "Legal", "Solicitors",
	"Accountants", "Airlines", "Airways", "Transport", "Manufacturing", "Maschinenbau", "Cooperative", "Co-op", "Federation", "Union", "Network", "Agencies", "Publishing", "Press", "Records", "Pictures", "Films",
	"Fitness", "Gym", "Salon", "Garage", "Farm", "Farms", "Vineyard", "Marketing", "Recruitment",
	"Financial", "Investments", "Pharma", "Pharmaceuticals", "Biotech", "Medtech",
	"Fintech", "Telecom", "Telecoms", "Shipping", "Aviation", "Automotive", "Chemicals", "Metals",
	"Mining", "Textiles", "Interiors", "Furniture", "Collective", "Mart", "Alliance", "Cooperative",
	"Co-operative", "Authority", "Board", "Commission", "Department", "Ministry", "Agency", "Trust",
	"Assurance", "Savings", "Loans", "Bancorp", "Airport", "Rovers", "United", "City", "Athletic",
	"Wanderers", "Albion", "Town", "FC", "RFC", "CC", "Mission", "Records", "Chambers", "Associates")

// lowerOrgNouns follow a lower-case organisation name in hurried notes: "greenleaf nursery".
var lowerOrgNouns = wordSet("ltd", "plc", "llp", "inc", "nursery", "school", "academy", "college",
	"university", "hospital", "surgery", "clinic", "pharmacy", "bakery", "cafe", "café", "bar",
	"restaurant", "salon", "gym", "garage", "studio", "consulting", "foods", "motors", "logistics")

// placePrepositions announce a place: "in Shoreditch", "commutes from Wokingham".
var placePrepositions = wordSet("in", "from", "near", "to", "around", "round", "outside", "towards", "into",
	"via", "across", "of", "nr", "within", "between", "beyond", "past")

// atThePrepositions come before "the" and a building's or institution's name: "at the Mater".
var atThePrepositions = wordSet("at", "from", "to", "in", "into", "near", "outside", "inside", "opposite",
	"behind", "on", "by", "via")

// phraseEnders may follow a name that ends its phrase: "at the Bullring because…".
var phraseEnders = wordSet("because", "since", "until", "till", "after", "before", "when", "where",
	"while", "whilst", "yesterday", "today", "tonight", "tomorrow", "now", "again", "last", "next",
	"every", "most", "three", "twice", "once", "earlier", "later", "instead", "anyway", "too", "though")

// orgCues announce an organisation: "works at Pebblestack", "joined Loomwise".
var orgCues = wordSet("at", "@", "joined", "joining", "for", "with", "left", "by")

// personCues precede a person's name: "my client X", "her boss tomasz", "w/ bryony".
var personCues = wordSet("client", "coachee", "mentee", "supervisee", "boss", "manager", "owner",
	"head", "colleague", "colleagues", "husband", "wife", "partner", "son", "daughter", "mum", "mom",
	"dad", "mother", "father", "brother", "sister", "friend", "w/", "with", "cc", "and", "sponsor",
	"director", "ceo", "md", "lead", "deputy", "chair", "niece", "nephew", "cousin", "aunt", "uncle",
	"grandmother", "grandfather", "nan", "gran", "fiancé", "fiancée", "girlfriend", "boyfriend",
	"mentor", "coach", "supervisor", "teacher", "tutor", "peer", "peers", "named", "called", "mgr",
	"hubby", "bf", "gf", "dh", "dw", "ex", "stepson", "stepdaughter", "grandson", "granddaughter",
	"flatmate", "housemate", "neighbour", "neighbor", "accountant", "lawyer", "solicitor", "gp",
	"therapist", "counsellor", "counselor", "mate", "pal", "kid", "kids", "skip-level")

// usStates are the postal codes that follow a US town: "Portland, OR".
var usStates = wordSet("AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "FL", "GA", "HI", "ID", "IL",
	"IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA", "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH",
	"NJ", "NM", "NY", "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX", "UT", "VT",
	"VA", "WA", "WV", "WI", "WY", "DC")

// nameConnectors join the parts of one name: "Tay & Forth", "C of E", "van der Berg".
var nameConnectors = wordSet("of", "de", "da", "das", "dos", "del", "della", "di", "du", "van", "von",
	"der", "den", "la", "le", "al", "el", "bin", "binti", "ibn", "bint", "y", "ter", "ten", "op", "zu",
	"ap", "ferch", "mac", "nic", "ni", "ní", "ó", "uí", "mhic", "bat", "ben", "abu", "umm", "dela", "dos")

// strongVerbs after a lower-case word make it a person even when no list knows the name:
// "kas said", "tom says".
var strongVerbs = wordSet("said", "says", "told", "tells", "asked", "asks", "thinks", "feels",
	"messaged", "emailed", "texted", "cried", "laughed", "replied", "admitted", "wants")

// determiners precede nouns, not names: "my supervisee said".
var determiners = wordSet("a", "an", "the", "my", "your", "his", "her", "its", "our", "their", "this",
	"that", "these", "those", "every", "each", "some", "any", "no", "one")

// placeNouns follow a place used as a label: "their Hamburg office", "Slough site".
var placeNouns = wordSet("office", "offices", "site", "sites", "depot", "branch", "campus", "plant",
	"factory", "warehouse", "store", "hq", "headquarters", "area", "region", "hub", "base", "unit",
	"ward", "estate", "centre", "center", "airport", "station", "clinic", "hospital")

// placeTypes end a place named with ordinary words: "Canary Wharf", "Savile Town".
var placeTypes = wordSet("Wharf", "Street", "Road", "Hill", "Hills", "Park", "Green", "Town", "Bridge",
	"Cross", "End", "Heath", "Common", "Vale", "Valley", "Village", "Square", "Gate", "Quay", "Docks",
	"Marsh", "Moor", "Fields", "Wood", "Woods", "Lane", "Row", "Place", "Gardens", "Grove", "Estate",
	"Bay", "Beach", "Harbour", "Harbor", "Point", "Heights", "Springs", "Falls", "Lake", "Island",
	"Mount", "Forest", "Circus", "Mews", "Terrace", "Crescent", "Junction", "Corner", "Market")

// orgNouns precede an organisation's name in apposition: "a small bakery, Crust & Crumb".
var orgNouns = wordSet("company", "firm", "business", "charity", "start-up", "startup", "agency",
	"employer", "bakery", "shop", "cafe", "café", "restaurant", "bar", "pub", "consultancy", "practice",
	"brand", "school", "nursery", "clinic", "salon", "studio", "label", "organisation", "organization",
	"nonprofit", "non-profit", "foundation", "trust", "hotel", "gym", "garage", "chain", "supplier",
	"client", "partner", "competitor", "publisher", "bank", "fund", "church", "mosque", "temple",
	"synagogue", "college", "university", "academy", "hospital", "surgery", "employers", "subsidiary")

// functionWords are the words of grammar that given-name lists happen to hold ("My", "So", "Said"):
// at a sentence's start they are words, whatever the lists say.
var functionWords = wordSet("a", "an", "the", "my", "your", "his", "her", "its", "our", "their", "this",
	"that", "these", "those", "so", "do", "did", "does", "said", "says", "say", "will", "would", "may",
	"might", "can", "could", "shall", "should", "must", "and", "but", "or", "nor", "yet", "for", "if",
	"then", "than", "as", "at", "by", "in", "on", "to", "of", "up", "no", "not", "yes", "oh", "ok",
	"all", "any", "each", "every", "some", "many", "much", "more", "most", "one", "two", "she", "he",
	"we", "they", "you", "me", "him", "us", "them", "who", "whom", "what", "which", "when", "where",
	"why", "how", "is", "was", "be", "been", "are", "were", "am", "has", "had", "have", "ran", "run",
	"got", "get", "let", "made", "make", "went", "go", "see", "saw", "also", "even", "just", "only",
	"well", "here", "there", "now", "after", "before", "with", "from", "into", "over", "under",
	"again", "still", "both", "either", "neither", "such", "same", "other", "another", "own", "mine",
	"ours", "yours", "hers", "theirs", "none", "nothing", "anyone", "someone", "everyone", "dear")

// actionVerbs after a name are what people do: "Mark phoned", "Jack finally told", "Wanjiku
// cried". Not "is", "was" or "has", which follow ordinary words as often ("Hope is not a
// strategy", "Joy was in short supply").
var actionVerbs = wordSet("said", "says", "told", "tells", "asked", "asks", "phoned", "phones", "rang",
	"rings", "called", "calls", "emailed", "emails", "texted", "texts", "messaged", "messages", "wrote",
	"writes", "cried", "cries", "laughed", "laughs", "replied", "replies", "admitted", "admits",
	"explained", "explains", "mentioned", "mentions", "agreed", "agrees", "refused", "refuses",
	"insisted", "insists", "complained", "complains", "confided", "confides", "confessed",
	"announced", "announces", "decided", "decides", "resigned", "resigns", "quit", "quits", "joined",
	"joins", "arrived", "arrives", "sent", "sends", "shared", "shares", "thinks", "thought", "feels",
	"felt", "wants", "wanted", "hopes", "hoped", "believes", "believed", "worries", "worried",
	"sighed", "smiled", "nodded", "shrugged", "paused", "interrupted", "presented", "presents",
	"described", "describes", "disclosed", "discloses", "revealed", "reveals", "apologised",
	"apologized", "apologises", "apologizes", "struggles", "struggled", "manages", "managed", "leads",
	"works", "worked", "lives", "lived", "moved", "moves", "co-facilitated", "facilitated", "turned",
	"came", "went", "left", "spoke", "speaks", "talked", "talks", "noticed", "notices", "realised",
	"realized", "realises", "realizes", "recalled", "recalls", "remembered", "remembers", "suggested",
	"suggests", "offered", "offers", "promised", "promises", "forwarded", "forwards", "rescheduled",
	"cancelled", "canceled", "booked", "invited", "invites", "answered", "answers", "responded",
	"responds", "reported", "reports", "raised", "raises", "opened", "opens", "shouted", "snapped",
	"whispered", "muttered", "sobbed", "wept", "hugged", "walked", "stormed", "stayed", "finished",
	"started", "began", "begins", "needs", "needed", "seems", "seemed", "looks", "looked", "sounds",
	"sounded", "tried", "tries", "keeps", "kept", "knows", "knew", "gets", "got", "prefers",
	"preferred", "loves", "loved", "hates", "hated", "translates", "translated", "covers", "covered",
	"supervises", "supervised", "mentors", "mentored", "coaches", "coached", "retired", "retires",
	"returned", "returns", "emigrated", "relocated", "graduated", "studied", "trained", "qualified")

// adverbs may stand between a name and its verb: "Jack finally told", "Sam also said".
var adverbs = wordSet("also", "then", "just", "still", "never", "always", "even", "finally", "eventually",
	"suddenly", "actually", "really", "often", "sometimes", "later", "once", "again", "already", "only")

// vocativeFollowers come after a name addressed with a comma: "Faith, thank you", "Sam, how…".
var vocativeFollowers = wordSet("thanks", "thank", "how", "what", "did", "do", "can", "could",
	"would", "have", "are", "were", "you", "your", "we", "we've", "we're", "i've", "i'm", "i'd",
	"great", "good", "welcome", "congratulations", "sorry", "please", "lovely", "brilliant", "agree",
	"agreed", "totally", "yes", "no", "re")

// objectWords after a sentence's first word make it a verb, not a name: "Mark this", "Will you",
// "Hope this helps".
var objectWords = wordSet("this", "that", "these", "those", "my", "your", "his", "her", "our", "their",
	"it", "you", "me", "us", "them", "him", "the", "a", "an", "do", "i", "we", "they", "he", "she",
	"down", "up", "out", "off", "everyone", "anyone", "someone")

// roleNouns are roles a name can stand in apposition to: "the singer, jack,", "her deputy, Chelsea".
var roleNouns = wordSet("singer", "drummer", "guitarist", "bassist", "player", "manager", "director",
	"head", "deputy", "chair", "lead", "leader", "founder", "owner", "client", "coachee", "mentee",
	"supervisee", "colleague", "boss", "sponsor", "assistant", "pa", "ea", "secretary", "treasurer",
	"clerk", "principal", "headteacher", "teacher", "nurse", "doctor", "consultant", "registrar",
	"officer", "inspector", "sergeant", "captain", "coach", "trainer", "tutor", "student", "intern",
	"apprentice", "graduate", "analyst", "engineer", "developer", "designer", "architect", "lawyer",
	"solicitor", "accountant", "adviser", "advisor", "administrator", "coordinator", "receptionist",
	"partner", "husband", "wife", "son", "daughter", "mother", "father", "sister", "brother", "friend",
	"neighbour", "neighbor", "cousin", "niece", "nephew", "aunt", "uncle", "grandmother", "grandfather",
	"stepfather", "stepmother", "ex", "fiancé", "fiancée", "girlfriend", "boyfriend", "mentor",
	"supervisor", "peer", "cofounder", "co-founder", "ceo", "cfo", "coo", "cto", "md", "vp", "gm",
	"hr", "trustee", "governor", "chaplain", "pastor", "imam", "rabbi", "vicar", "priest", "bishop")

// memberNouns after an acronym make it an organisation: "two UNA reps", "the RCN branch".
var memberNouns = wordSet("reps", "rep", "members", "member", "staff", "colleagues", "branch",
	"office", "offices", "headquarters", "hq", "union", "officials", "official", "delegation",
	"volunteers", "employees", "alumni")

// namingVerbs come before a nickname in quotation marks: "she signs her emails "Chi-Chi"".
var namingVerbs = wordSet("called", "calls", "call", "nicknamed", "nickname", "signs", "signed",
	"goes", "known", "named", "dubbed", "prefers", "introduces", "introduced", "address",
	"addresses", "addressed", "refers", "referred")

// groupNouns before "called" make what follows an organisation: "a band called …".
var groupNouns = wordSet("band", "group", "team", "club", "choir", "network", "app", "platform",
	"product", "podcast", "show", "programme", "program", "project", "venue", "pub", "shop", "firm",
	"startup", "start-up", "outfit", "label", "collective", "society", "union", "charity", "ngo")

// supporterNouns after "a" and a capitalised word make that word a team or club: "a Bulls man".
var supporterNouns = wordSet("man", "fan", "fans", "supporter", "supporters", "lad", "girl", "boy",
	"woman", "diehard", "loyalist", "season-ticket")

// speakerRoles begin transcript lines without naming anyone: "Coach:", "Client:".
var speakerRoles = wordSet("coach", "client", "supervisor", "supervisee", "mentor", "mentee",
	"coachee", "presenter", "facilitator", "interviewer", "interviewee", "me", "them", "q", "a",
	"question", "answer", "note", "notes", "admin", "action", "actions", "personal", "purpose",
	"context", "issue", "reflection", "update", "agenda", "summary", "outcome", "outcomes",
	"present", "apologies", "attendees", "date", "time", "venue", "next", "follow-up", "followup",
	"learning", "observation", "observations", "feedback", "speaker", "member", "members",
	"group", "team", "all", "everyone", "others", "other", "moderator", "chair", "host",
	"participant", "participants", "observer", "p", "s", "c", "m", "t", "user", "system")

// neverNames are words of grammar that no name begins with, whatever the given-name lists hold:
// "My VP", "So Priya".
var neverNames = wordSet("a", "an", "the", "my", "your", "his", "her", "its", "our", "their", "this",
	"that", "these", "those", "so", "and", "but", "or", "if", "as", "at", "by", "in", "on", "to", "of",
	"for", "with", "from", "she", "he", "we", "they", "you", "me", "it", "do", "did", "does", "is",
	"was", "are", "were", "be", "been", "has", "had", "have", "not", "no", "yes", "all", "any", "some")

// honorifics are titles that also stand alone for the person: "Hajiya said", "Khun Sirinya".
var honorifics = wordSet("Hajiya", "Alhaji", "Khun", "Encik", "Puan", "Tuan", "Datuk", "Dato", "Datin",
	"Ustaz", "Ustazah", "Mallam")

// joinVerbs before a capitalised word make it an employer: "joined Flintlock", "left Nedbank".
var joinVerbs = wordSet("joined", "joining", "joins", "left", "leaving", "leaves", "quit", "quitting",
	"rejoined", "ex")

// workVerbs before "at", "for" or "with" make what follows an employer or a school: "studied at
// Wits", "works for Halden".
var workVerbs = wordSet("work", "works", "worked", "working", "study", "studies", "studied", "studying",
	"employed", "teaches", "taught", "teaching", "trained", "training", "graduated", "lectures",
	"lectured", "volunteers", "volunteered", "volunteering", "interned", "placement", "years", "months",
	"job", "role", "post", "secondment", "contract", "shift", "shifts", "nights", "days")

// labelNouns with a letter or two after them are pseudonyms already: "Client A", "Coach T".
var labelNouns = wordSet("Client", "Person", "Coach", "Coachee", "Mentee", "Mentor", "Supervisee",
	"Member", "Participant", "Presenter", "Colleague", "Manager", "Sponsor", "Speaker", "Trainee",
	"Student", "Patient", "Staff", "Team", "Teacher", "Pupil", "Parent", "Child", "Worker", "Leader",
	"Director", "Officer", "Nurse", "Doctor", "Employee", "Candidate", "Applicant", "Partner", "Friend")

// orgKinds after capitalised words make them an organisation's name: "the Refugee Doctors
// Pathway charity".
var orgKinds = wordSet("charity", "charities", "foundation", "trust", "company", "firm", "agency",
	"consultancy", "startup", "start-up", "nonprofit", "non-profit", "ngo", "npo", "bank", "school",
	"academy", "college", "university", "hospital", "clinic", "practice", "surgery", "hotel", "chain",
	"brand", "label", "band", "club", "society", "association", "federation", "union", "cooperative",
	"co-op", "collective", "partnership", "publisher", "supplier", "subsidiary", "consortium")

// nations end a charity's or a body's name made of ordinary words: "Shelter Scotland", "Age UK".
var nations = wordSet("UK", "Scotland", "Cymru", "Wales", "England", "Ireland", "International",
	"Worldwide", "Global", "Europe", "Africa", "Asia", "America", "Australia", "Canada", "India",
	"NZ", "Aotearoa", "USA", "US")

// foreignStopwords are words of grammar of other languages ("ein", "und", "nach", "le", "los"):
// beside them, a capitalised word is part of a phrase in that language, not a name.
var foreignStopwords = wordSet("ein", "eine", "einen", "einem", "einer", "und", "oder", "nach", "mit",
	"nicht", "ist", "sind", "war", "auf", "aus", "bei", "für", "über", "unter", "vor", "zum", "zur",
	"dem", "des", "der", "die", "das", "ich", "wir", "ihr", "sie", "es", "wie", "was", "wo", "am", "im",
	"vom", "beim", "ins", "ans", "kein", "keine", "sehr", "auch", "noch", "schon", "nur", "mal", "doch",
	"et", "est", "les", "des", "une", "un", "dans", "avec", "pour", "sur", "pas", "qui", "que", "ce",
	"cette", "mais", "ou", "très", "tout", "tous", "être", "avoir", "fait", "faire", "ne", "je", "tu",
	"nous", "vous", "ils", "elles", "mon", "ma", "mes", "son", "sa", "ses", "au", "aux",
	"los", "las", "una", "uno", "es", "está", "son", "con", "por", "para", "muy", "pero", "como",
	"más", "sin", "sobre", "entre", "hay", "yo", "tú", "él", "ella", "nosotros", "mi", "tu", "su",
	"o", "um", "uma", "os", "as", "não", "em", "no", "na", "nos", "nas", "com", "pelo", "pela", "é",
	"il", "lo", "gli", "della", "dello", "degli", "delle", "nel", "nella", "non", "che", "sono", "ha",
	"het", "een", "en", "van", "voor", "niet", "maar", "ook", "naar", "bij", "uit", "zijn", "wat")

// foreignArticles are articles of other languages, some also English words ("die", "der"):
// before a capitalised noun, not at a sentence's start, they begin a phrase in that language.
var foreignArticles = wordSet("die", "der", "das", "dem", "ein", "eine", "einen", "les", "los", "las", "il",
	"gli", "het", "een", "une", "uno", "una")
