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
	"Pastor", "Aunty", "Auntie", "Uncle", "Coach", "Captain", "Capt", "Sgt", "Inspector", "Nurse")

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
	"Mining", "Textiles", "Interiors", "Furniture")

// lowerOrgNouns follow a lower-case organisation name in hurried notes: "greenleaf nursery".
var lowerOrgNouns = wordSet("ltd", "plc", "llp", "inc", "nursery", "school", "academy", "college",
	"university", "hospital", "surgery", "clinic", "pharmacy", "bakery", "cafe", "café", "bar",
	"restaurant", "salon", "gym", "garage", "studio", "consulting", "foods", "motors", "logistics")

// placePrepositions announce a place: "in Shoreditch", "commutes from Wokingham".
var placePrepositions = wordSet("in", "from", "near", "to", "around", "outside", "towards", "into",
	"via", "across", "of", "nr", "within")

// orgCues announce an organisation: "works at Pebblestack", "joined Loomwise".
var orgCues = wordSet("at", "@", "joined", "joining", "for", "with", "left", "by")

// speechVerbs follow a person: "Tom says", "kas said".
var speechVerbs = wordSet("said", "says", "told", "tells", "asked", "asks", "thinks", "thought",
	"feels", "felt", "wants", "wanted", "messaged", "emailed", "texted", "rang", "called", "cried",
	"laughed", "replied", "admitted", "explained", "mentioned", "described", "agreed", "refused",
	"believes", "hopes", "worries", "seems", "seemed", "went", "came", "was", "is", "has", "had",
	"will", "would", "does", "did", "didn't", "doesn't", "isn't", "wasn't", "can't", "won't", "and",
	"who", "herself", "himself", "themself", "noticed", "realised", "realized", "sat", "spoke",
	"talked", "talks", "started", "stopped", "left", "joined", "got", "gets", "looked", "sounded")

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
	"der", "den", "la", "le", "al", "el", "bin", "ibn", "bint", "y", "ter", "ten", "op", "zu")

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
