// Package wql parses, prints and compiles WQL, WMI's query language.
//
// # Statements
//
// Parse reads one statement into a Query:
//
//	SELECT * | prop {, prop} FROM Class [WHERE expr]                  *SelectQuery (data)
//	SELECT … FROM EventClass [WITHIN n] [WHERE expr]
//	    [GROUP WITHIN n [BY prop {, prop}] [HAVING expr]]              *SelectQuery (event)
//	SELECT * FROM meta_class [WHERE expr]                             *SchemaQuery
//	ASSOCIATORS OF {path} [WHERE keyword …]                           *AssociatorsQuery
//	REFERENCES OF {path} [WHERE keyword …]                            *ReferencesQuery
//
// A prop is a name or a dotted path into embedded objects (TargetInstance.Name);
// system properties (__CLASS, __PATH, …) may be selected and tested, and
// __THIS names the object itself for ISA. An expression combines predicates
// with NOT, AND (which binds tighter) and OR, and parentheses:
//
//	prop op constant       op is = <> != < > <= >=; the constant may come first ("5 < Size")
//	prop IS [NOT] NULL     "prop = NULL" and "prop <> NULL" mean the same, as in WMI
//	prop ISA "Class"
//	prop LIKE "pattern"
//
// The ASSOCIATORS OF keywords are AssocClass=C, ResultClass=C, ResultRole=P,
// Role=P, RequiredQualifier=Q, RequiredAssocQualifier=Q, ClassDefsOnly,
// KeysOnly and SchemaOnly; REFERENCES OF takes ResultClass, Role,
// RequiredQualifier, ClassDefsOnly, KeysOnly and SchemaOnly. Keywords are
// separated by white space only: AND, OR, an operator other than =, a keyword
// given twice, ClassDefsOnly with ResultClass or with SchemaOnly are errors.
// The path between the braces is kept as written, for the object manager to
// parse.
//
// # Lexical rules
//
// Keywords and names are case-insensitive; the AST keeps names as written.
// SELECT, FROM, WHERE, AND, OR, NOT, LIKE, ISA, IS, NULL, TRUE and FALSE are
// reserved; other keywords (WITHIN, GROUP, BY, HAVING, ASSOCIATORS, …) are
// only keywords where the grammar expects them, so they may name properties.
// Strings are in single or double quotes; a backslash takes the next character
// literally (\\, \", \'), except in a LIKE pattern, which keeps every character
// as written (so 'C:\Windows\%' is a pattern of C, :, \, W, …). Numbers are
// signed decimal integers, hexadecimal integers (0x1F) and reals (1.5, 2e3).
// WITHIN and GROUP WITHIN take seconds, possibly fractional.
//
// # Printing
//
// Each Query's String method prints a canonical form: keywords in upper case,
// names as written, strings in double quotes, "!=" as "<>", the property before
// the constant, parentheses only where precedence needs them. Parsing the
// canonical form gives an equal tree (positions aside).
//
// # Compiling and matching
//
// Compile turns a data query and its FROM class into a Filter: Match(instance)
// evaluates the WHERE clause, Project(instance) applies the SELECT list
// (through cim.Class.Project, once per class), and Equalities tells a provider
// which values the WHERE clause pins each property to. Property positions and
// typed constants are worked out at compile time, so Match does not allocate
// for instances of the FROM class; instances of subclasses and of other
// classes get their own plan, built once. The semantics are WMI's:
//
//   - strings compare case-insensitively, and so do LIKE and char16 values;
//   - any comparison with a NULL value is false (so NOT makes it true);
//   - numbers compare by value across types and widths ("Temp > -1" holds for
//     every uint32, "FreeSpace > 999999.5" compares exactly); a numeric string
//     constant is taken as its number;
//   - booleans compare by truthiness: TRUE, FALSE, any number (non-zero is
//     true) or "true"/"false"; only = and <> apply;
//   - datetimes compare as instants (timestamps) or lengths (intervals); the
//     constant is in DMTF form (yyyymmddHHMMSS.mmmmmmsUUU, or an interval) or in
//     ISO 8601 form (2024-01-31, 2024-01-31 12:00:00, RFC 3339), without
//     asterisks; a zone-less ISO constant is UTC. A value with asterisks
//     compares as text;
//   - references compare as text, case-insensitively, with = and <> only;
//   - LIKE: % any run, _ any one character, [a-f] and [abc] one of a set,
//     [^…] one outside it, [%] and [_] the character itself;
//   - ISA holds when the embedded object (or __THIS) is of the class or of a
//     subclass;
//   - __CLASS = "X" holds only for instances of exactly X;
//   - a dotted path that does not lead to a value (a NULL or missing embedded
//     object, an unknown member) makes its predicate false, without error.
//
// Compile reports, as *cim.Error: an unknown FROM class (WBEM_E_INVALID_CLASS,
// when it has to look the class up); an unknown property in the SELECT list or
// the WHERE clause (WBEM_E_INVALID_QUERY, naming it and its position; WMI
// refuses these too); a dot after a non-object property
// (WBEM_E_PROPERTY_NOT_AN_OBJECT); an operator that does not fit the property's
// type (WBEM_E_INVALID_OPERATOR: "BoolProp > FALSE", ordering references,
// LIKE on a number, ISA on a string, any comparison of an array or an object);
// a constant that does not convert to the property's type
// (WBEM_E_INVALID_QUERY, not WBEM_E_TYPE_MISMATCH, as it is the query that is
// wrong); an ISA class the schema does not know (WBEM_E_INVALID_CLASS). Parse
// itself reports "prop IS 5", property-to-property comparisons and arithmetic
// as WBEM_E_INVALID_QUERY, and ">= NULL" as WBEM_E_INVALID_OPERATOR.
//
// CompileSchema compiles a schema query into a ClassFilter over class
// definitions; CompileEvent (and ParseEvent, for ExecNotificationQuery)
// validates an event query: the FROM class must derive from __Event
// (WBEM_E_NOT_EVENT_CLASS), BY and HAVING need GROUP WITHIN
// (WBEM_E_MISSING_GROUP_WITHIN), BY cannot name a whole embedded object
// (WBEM_E_AGGREGATING_BY_OBJECT), HAVING tests NumberOfEvents only, and
// syntax errors are WBEM_E_UNPARSABLE_QUERY. The intrinsic instance events are
// known even to a schema that does not define them.
//
// # Errors and limits
//
// Every error is a *cim.Error. Syntax errors are WBEM_E_INVALID_QUERY with the
// 1-based character position and the offending token in the description (the
// token is also in Parameter). CheckLanguage accepts the query language "WQL"
// in any case and refuses everything else, "SQL" included, with
// WBEM_E_INVALID_QUERY_TYPE.
//
// A query longer than MaxQueryLength characters (WMI's WBEM_MAX_QUERY), with
// more than MaxLogicalOperators AND/OR operators, or nesting parentheses and
// NOTs deeper than MaxNesting fails with WBEM_E_QUOTA_VIOLATION, the status WMI
// gives queries too complex to run. The parser therefore runs in time linear
// in the query and bounded stack, and Match in time linear in the predicate.
package wql
