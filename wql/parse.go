package wql

import (
	"math"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/gowbem/gowbem/cim"
)

// Limits of the parser. Queries past them fail with WBEM_E_QUOTA_VIOLATION
// (the status WMI gives a query that is too complex), so that no input can
// make the parser or the matcher use unbounded time or stack.
const (
	// MaxQueryLength is the longest query in characters: WMI's WBEM_MAX_QUERY.
	MaxQueryLength = 0x4000
	// MaxLogicalOperators is the most AND and OR operators a query may have
	// (WHERE and HAVING together).
	MaxLogicalOperators = 1024
	// MaxNesting is the deepest nesting of parentheses and NOTs.
	MaxNesting = 64
	// MaxInterval is the longest WITHIN or GROUP WITHIN interval in seconds:
	// 2³²−1 milliseconds.
	MaxInterval = 4294967.295
)

// isReserved reports whether word (in any case) is a reserved word, which
// cannot name a class or a property.
func isReserved(word string) bool {
	if len(word) > 6 {
		return false
	}
	var b [6]byte
	for i := 0; i < len(word); i++ {
		c := word[i]
		if 'a' <= c && c <= 'z' {
			c -= 'a' - 'A'
		}
		b[i] = c
	}
	switch string(b[:len(word)]) {
	case "SELECT", "FROM", "WHERE", "AND", "OR", "NOT", "LIKE", "ISA", "IS", "NULL", "TRUE", "FALSE":
		return true
	}
	return false
}

// CheckLanguage checks the query-language argument of ExecQuery and
// ExecNotificationQuery: "WQL", in any case. Anything else, "SQL" included,
// gives WBEM_E_INVALID_QUERY_TYPE.
func CheckLanguage(lang string) error {
	if strings.EqualFold(lang, "WQL") {
		return nil
	}
	e := cim.Errorf(cim.WBEM_E_INVALID_QUERY_TYPE, "query language %q is not supported; use \"WQL\"", lang)
	e.Parameter = lang
	return e
}

// bailout carries a parse error up through the recursive descent.
type bailout struct{ err *cim.Error }

type parser struct {
	s     scanner
	tok   token
	ops   int // AND and OR operators seen
	depth int // open parentheses and NOTs
}

// Parse parses a WQL statement. Syntax errors give WBEM_E_INVALID_QUERY with
// the 1-based character position and the offending token; BY or HAVING without
// GROUP WITHIN gives WBEM_E_MISSING_GROUP_WITHIN; a comparison of the wrong
// kind with NULL (">= NULL") gives WBEM_E_INVALID_OPERATOR; a query past the
// limits above gives WBEM_E_QUOTA_VIOLATION.
func Parse(text string) (q Query, err error) {
	if len(text) > MaxQueryLength {
		if n := utf8.RuneCountInString(text); n > MaxQueryLength {
			e := cim.Errorf(cim.WBEM_E_QUOTA_VIOLATION, "query of %d characters is longer than the limit of %d", n, MaxQueryLength)
			return nil, e
		}
	}
	p := &parser{s: scanner{src: text}}
	defer func() {
		if r := recover(); r != nil {
			b, ok := r.(bailout)
			if !ok {
				panic(r)
			}
			q, err = nil, b.err
		}
	}()
	p.advance()
	switch {
	case p.isWord("SELECT"):
		q = p.parseSelect()
	case p.isWord("ASSOCIATORS"):
		q = p.parseAssociators()
	case p.isWord("REFERENCES"):
		q = p.parseReferences()
	default:
		p.fail("expected SELECT, ASSOCIATORS OF or REFERENCES OF, found %s", p.describe())
	}
	if p.tok.kind != tEOF {
		p.fail("unexpected %s after the end of the query", p.describe())
	}
	return q, nil
}

// MustParse is Parse for queries known to be valid, such as constants in
// programs and tests; it panics on an error.
func MustParse(text string) Query {
	q, err := Parse(text)
	if err != nil {
		panic(err)
	}
	return q
}

func (p *parser) advance() {
	t, err := p.s.next(false)
	if err != nil {
		panic(bailout{err.(*cim.Error)})
	}
	p.tok = t
}

// advanceRaw scans the next token taking a string literal as written.
func (p *parser) advanceRaw() {
	t, err := p.s.next(true)
	if err != nil {
		panic(bailout{err.(*cim.Error)})
	}
	p.tok = t
}

func (p *parser) fail(format string, args ...any) {
	p.failStatus(cim.WBEM_E_INVALID_QUERY, format, args...)
}

func (p *parser) failStatus(st cim.Status, format string, args ...any) {
	e := p.s.errAt(p.tok.pos, p.tok.text, format, args...)
	e.Status = st
	if p.tok.kind == tEOF {
		e.Parameter = ""
	}
	panic(bailout{e})
}

func (p *parser) describe() string {
	switch p.tok.kind {
	case tEOF:
		return "the end of the query"
	case tString:
		return "string " + p.tok.text
	case tNumber:
		return "number " + p.tok.text
	case tWord:
		return strconv.Quote(p.tok.text)
	}
	return "'" + p.tok.text + "'"
}

func (p *parser) isWord(kw string) bool {
	return p.tok.kind == tWord && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) expectWord(kw string) {
	if !p.isWord(kw) {
		p.fail("expected %s, found %s", kw, p.describe())
	}
	p.advance()
}

// name takes a class or property name.
func (p *parser) name(what string) (string, int) {
	if p.tok.kind != tWord || isReserved(p.tok.text) {
		p.fail("expected %s, found %s", what, p.describe())
	}
	n, pos := p.tok.text, p.tok.pos
	p.advance()
	return n, pos
}

func (p *parser) prop() Prop {
	n, pos := p.name("a property name")
	pr := Prop{Path: []string{n}, Pos: p.s.position(pos)}
	for p.tok.kind == tDot {
		p.advance()
		n, _ := p.name("a property name after '.'")
		if len(pr.Path) >= cim.MaxNameLength {
			p.failStatus(cim.WBEM_E_QUOTA_VIOLATION, "property path nests deeper than %d", cim.MaxNameLength)
		}
		pr.Path = append(pr.Path, n)
	}
	return pr
}

func (p *parser) parseSelect() Query {
	p.advance() // SELECT
	var q SelectQuery
	if p.tok.kind == tStar {
		q.All = true
		p.advance()
	} else {
		for {
			q.Props = append(q.Props, p.prop())
			if p.tok.kind != tComma {
				break
			}
			p.advance()
		}
	}
	p.expectWord("FROM")
	classPos := p.tok.pos
	q.Class, _ = p.name("a class name")
	if strings.EqualFold(q.Class, "meta_class") {
		if !q.All {
			p.tok.pos = classPos
			p.fail("a schema query must select *")
		}
		var sq SchemaQuery
		if p.isWord("WHERE") {
			p.advance()
			sq.Where = p.parseExpr()
		}
		return &sq
	}
	if p.isWord("WITHIN") {
		p.advance()
		q.Within = p.interval("WITHIN")
	}
	if p.isWord("WHERE") {
		p.advance()
		q.Where = p.parseExpr()
	}
	if p.isWord("GROUP") {
		p.advance()
		p.expectWord("WITHIN")
		q.GroupWithin = p.interval("GROUP WITHIN")
		if p.isWord("BY") {
			p.advance()
			for {
				q.By = append(q.By, p.prop())
				if p.tok.kind != tComma {
					break
				}
				p.advance()
			}
		}
		if p.isWord("HAVING") {
			p.advance()
			q.Having = p.parseExpr()
		}
	}
	if p.isWord("BY") || p.isWord("HAVING") {
		p.failStatus(cim.WBEM_E_MISSING_GROUP_WITHIN, "%s needs GROUP WITHIN before it", strings.ToUpper(p.tok.text))
	}
	if p.isWord("WITHIN") {
		p.fail("WITHIN goes before WHERE")
	}
	return &q
}

// interval takes the number of seconds of WITHIN or GROUP WITHIN.
func (p *parser) interval(what string) float64 {
	if p.tok.kind != tNumber {
		p.fail("%s needs a number of seconds, found %s", what, p.describe())
	}
	c := p.number()
	var f float64
	switch c.Kind {
	case ConstInt:
		f = float64(c.Int)
	case ConstUint:
		f = float64(c.Uint)
	default:
		f = c.Real
	}
	if !(f > 0) || f > MaxInterval {
		p.fail("%s interval %s is not between 0 and %g seconds", what, p.tok.text, MaxInterval)
	}
	p.advance()
	return f
}

// number converts the current number token.
func (p *parser) number() Const {
	c, ok := numberConst(p.tok.text)
	if !ok {
		p.fail("number %s is malformed or out of range", p.tok.text)
	}
	return c
}

// numberConst converts the text of a number: a signed decimal integer, a
// hexadecimal integer (0x…) or a real.
func numberConst(t string) (Const, bool) {
	if t == "" {
		return Const{}, false
	}
	neg := t[0] == '-'
	digits := t
	if t[0] == '-' || t[0] == '+' {
		digits = t[1:]
	}
	if len(digits) > 1 && digits[0] == '0' && (digits[1] == 'x' || digits[1] == 'X') {
		u, err := strconv.ParseUint(digits[2:], 16, 64)
		if err != nil {
			return Const{}, false
		}
		return integerConst(neg, u)
	}
	if strings.ContainsAny(digits, ".eE") {
		f, err := strconv.ParseFloat(t, 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return Const{}, false
		}
		return Const{Kind: ConstReal, Real: f}, true
	}
	u, err := strconv.ParseUint(digits, 10, 64)
	if err != nil {
		return Const{}, false
	}
	return integerConst(neg, u)
}

func integerConst(neg bool, u uint64) (Const, bool) {
	switch {
	case !neg && u <= math.MaxInt64:
		return Const{Kind: ConstInt, Int: int64(u)}, true
	case !neg:
		return Const{Kind: ConstUint, Uint: u}, true
	case u <= 1<<63:
		return Const{Kind: ConstInt, Int: int64(-u)}, true
	}
	return Const{}, false
}

func (p *parser) parseExpr() Expr {
	x := p.parseAnd()
	if !p.isWord("OR") {
		return x
	}
	or := &Logical{Op: Or}
	or.Operands = appendFlat(or.Operands, Or, x)
	for p.isWord("OR") {
		p.countOp()
		p.advance()
		or.Operands = appendFlat(or.Operands, Or, p.parseAnd())
	}
	return or
}

func (p *parser) parseAnd() Expr {
	x := p.parseFactor()
	if !p.isWord("AND") {
		return x
	}
	and := &Logical{Op: And}
	and.Operands = appendFlat(and.Operands, And, x)
	for p.isWord("AND") {
		p.countOp()
		p.advance()
		and.Operands = appendFlat(and.Operands, And, p.parseFactor())
	}
	return and
}

// appendFlat appends x to a chain of op, splicing in a parenthesized chain of
// the same operator so that equal meanings give equal trees.
func appendFlat(list []Expr, op LogicalOp, x Expr) []Expr {
	if l, ok := x.(*Logical); ok && l.Op == op {
		return append(list, l.Operands...)
	}
	return append(list, x)
}

func (p *parser) countOp() {
	p.ops++
	if p.ops > MaxLogicalOperators {
		p.failStatus(cim.WBEM_E_QUOTA_VIOLATION, "query has more than %d AND/OR operators", MaxLogicalOperators)
	}
}

func (p *parser) enter() {
	p.depth++
	if p.depth > MaxNesting {
		p.failStatus(cim.WBEM_E_QUOTA_VIOLATION, "parentheses and NOTs nest deeper than %d", MaxNesting)
	}
}

func (p *parser) parseFactor() Expr {
	switch {
	case p.isWord("NOT"):
		p.enter()
		p.advance()
		x := p.parseFactor()
		p.depth--
		return &Not{X: x}
	case p.tok.kind == tLParen:
		p.enter()
		p.advance()
		x := p.parseExpr()
		if p.tok.kind != tRParen {
			p.fail("expected ')', found %s", p.describe())
		}
		p.advance()
		p.depth--
		return x
	}
	return p.predicate()
}

func isConstStart(t token) bool {
	switch t.kind {
	case tString, tNumber:
		return true
	case tWord:
		return strings.EqualFold(t.text, "TRUE") || strings.EqualFold(t.text, "FALSE") || strings.EqualFold(t.text, "NULL")
	}
	return false
}

func (p *parser) compareOp() CompareOp {
	if p.tok.kind != tOp {
		p.fail("expected a comparison operator, found %s", p.describe())
	}
	var op CompareOp
	switch p.tok.text {
	case "=":
		op = Equal
	case "<>", "!=":
		op = NotEqual
	case "<":
		op = Less
	case ">":
		op = Greater
	case "<=":
		op = LessEqual
	case ">=":
		op = GreaterEqual
	}
	return op
}

// constant takes a constant; null reports NULL.
func (p *parser) constant() (c Const, null bool) {
	switch p.tok.kind {
	case tString:
		c = Const{Kind: ConstString, Str: p.tok.str}
	case tNumber:
		c = p.number()
	case tWord:
		switch {
		case p.isWord("TRUE"):
			c = Const{Kind: ConstBool, Bool: true}
		case p.isWord("FALSE"):
			c = Const{Kind: ConstBool}
		case p.isWord("NULL"):
			null = true
		case !isReserved(p.tok.text):
			p.fail("comparing a property with property %s is not supported; compare with a constant", p.tok.text)
		default:
			p.fail("expected a constant, found %s", p.describe())
		}
	case tLParen:
		p.fail("expected a constant, found '(': expressions and arithmetic are not supported")
	default:
		p.fail("expected a constant, found %s", p.describe())
	}
	p.advance()
	return c, null
}

func (p *parser) nullCompare(pr Prop, op CompareOp, opTok token) Expr {
	switch op {
	case Equal:
		return &IsNull{Prop: pr}
	case NotEqual:
		return &IsNull{Prop: pr, Not: true}
	}
	p.tok = opTok
	p.failStatus(cim.WBEM_E_INVALID_OPERATOR, "operator %s cannot compare with NULL; use IS [NOT] NULL", op)
	return nil
}

func (p *parser) predicate() Expr {
	if isConstStart(p.tok) {
		// constant op property
		c, null := p.constant()
		opTok := p.tok
		op := p.compareOp()
		p.advance()
		if p.tok.kind != tWord || isReserved(p.tok.text) {
			if isConstStart(p.tok) {
				p.fail("comparing two constants is not supported")
			}
			p.fail("expected a property name, found %s", p.describe())
		}
		pr := p.prop()
		if null {
			return p.nullCompare(pr, op, opTok)
		}
		return &Comparison{Prop: pr, Op: op.flip(), Value: c}
	}
	if p.tok.kind != tWord || isReserved(p.tok.text) {
		p.fail("expected a property name, a constant, NOT or '(', found %s", p.describe())
	}
	pr := p.prop()
	switch {
	case p.tok.kind == tOp:
		opTok := p.tok
		op := p.compareOp()
		p.advance()
		c, null := p.constant()
		if null {
			return p.nullCompare(pr, op, opTok)
		}
		return &Comparison{Prop: pr, Op: op, Value: c}
	case p.isWord("IS"):
		p.advance()
		not := false
		if p.isWord("NOT") {
			not = true
			p.advance()
		}
		if !p.isWord("NULL") {
			p.fail("IS can only be followed by NULL or NOT NULL, found %s", p.describe())
		}
		p.advance()
		return &IsNull{Prop: pr, Not: not}
	case p.isWord("ISA"):
		p.advance()
		var class string
		switch {
		case p.tok.kind == tString:
			class = p.tok.str
		case p.tok.kind == tWord && !isReserved(p.tok.text):
			class = p.tok.text
		default:
			p.fail("ISA needs a class name, found %s", p.describe())
		}
		if class == "" {
			p.fail("ISA needs a class name, found an empty string")
		}
		p.advance()
		return &Isa{Prop: pr, Class: class}
	case p.isWord("LIKE"):
		p.advanceRaw()
		if p.tok.kind != tString {
			p.fail("LIKE needs a pattern string, found %s", p.describe())
		}
		pat := p.tok.str
		p.advance()
		return &Like{Prop: pr, Pattern: pat}
	case p.isWord("NOT"):
		p.fail("NOT goes before the property: NOT %s LIKE …", pr.Name())
	}
	p.fail("expected an operator after %s, found %s", pr.Name(), p.describe())
	return nil
}

// assocKeyword reports whether kw (upper case) is a WHERE keyword of
// ASSOCIATORS OF, and whether it takes a value. (Switches, not maps: no
// work at the start of every program that links wql.)
func assocKeyword(kw string) (valued, ok bool) {
	switch kw {
	case "ASSOCCLASS", "RESULTCLASS", "RESULTROLE", "ROLE", "REQUIREDQUALIFIER", "REQUIREDASSOCQUALIFIER":
		return true, true
	case "CLASSDEFSONLY", "KEYSONLY", "SCHEMAONLY":
		return false, true
	}
	return false, false
}

// refsKeyword is assocKeyword for REFERENCES OF.
func refsKeyword(kw string) (valued, ok bool) {
	switch kw {
	case "RESULTCLASS", "ROLE", "REQUIREDQUALIFIER":
		return true, true
	case "CLASSDEFSONLY", "KEYSONLY", "SCHEMAONLY":
		return false, true
	}
	return false, false
}

// assocWhere parses "OF {path} [WHERE kw…]" and returns the path and the
// keywords (upper case) with their values; allowed says which keywords the
// statement has and whether each takes a value.
func (p *parser) assocWhere(stmt string, allowed func(kw string) (valued, ok bool)) (string, map[string]string) {
	p.advance() // ASSOCIATORS / REFERENCES
	p.expectWord("OF")
	if p.tok.kind != tLBrace {
		p.fail("expected '{' and an object path after %s OF, found %s", stmt, p.describe())
	}
	t, err := p.s.scanPath()
	if err != nil {
		panic(bailout{err.(*cim.Error)})
	}
	path := strings.TrimSpace(t.text)
	if path == "" {
		p.tok = t
		p.fail("%s OF needs an object path between the braces", stmt)
	}
	p.advance()
	kws := map[string]string{}
	if !p.isWord("WHERE") {
		return path, kws
	}
	p.advance()
	if p.tok.kind == tEOF {
		p.fail("WHERE of %s OF needs at least one keyword", stmt)
	}
	for p.tok.kind != tEOF {
		if p.tok.kind != tWord {
			p.fail("expected a %s OF keyword, found %s", stmt, p.describe())
		}
		kw := strings.ToUpper(p.tok.text)
		valued, ok := allowed(kw)
		if !ok {
			if kw == "AND" || kw == "OR" || kw == "NOT" {
				p.fail("%s is not allowed in %s OF: separate keywords with spaces", kw, stmt)
			}
			p.fail("%s is not a %s OF keyword", p.tok.text, stmt)
		}
		if _, dup := kws[kw]; dup {
			p.fail("keyword %s given twice", p.tok.text)
		}
		p.advance()
		if !valued {
			kws[kw] = ""
			continue
		}
		if p.tok.kind != tOp || p.tok.text != "=" {
			p.fail("%s needs '=' and a name, found %s", kw, p.describe())
		}
		p.advance()
		switch p.tok.kind {
		case tWord:
			kws[kw] = p.tok.text
		case tString:
			kws[kw] = p.tok.str
		default:
			p.fail("%s needs a name, found %s", kw, p.describe())
		}
		if kws[kw] == "" {
			p.fail("%s needs a name, found an empty string", kw)
		}
		p.advance()
	}
	if _, ok := kws["CLASSDEFSONLY"]; ok {
		if _, ok := kws["RESULTCLASS"]; ok {
			p.fail("ClassDefsOnly cannot be combined with ResultClass")
		}
		if _, ok := kws["SCHEMAONLY"]; ok {
			p.fail("ClassDefsOnly cannot be combined with SchemaOnly")
		}
	}
	return path, kws
}

func (p *parser) parseAssociators() Query {
	path, kw := p.assocWhere("ASSOCIATORS", assocKeyword)
	q := &AssociatorsQuery{Path: path, AssocClass: kw["ASSOCCLASS"], ResultClass: kw["RESULTCLASS"],
		ResultRole: kw["RESULTROLE"], Role: kw["ROLE"], RequiredQualifier: kw["REQUIREDQUALIFIER"],
		RequiredAssocQualifier: kw["REQUIREDASSOCQUALIFIER"]}
	_, q.ClassDefsOnly = kw["CLASSDEFSONLY"]
	_, q.KeysOnly = kw["KEYSONLY"]
	_, q.SchemaOnly = kw["SCHEMAONLY"]
	return q
}

func (p *parser) parseReferences() Query {
	path, kw := p.assocWhere("REFERENCES", refsKeyword)
	q := &ReferencesQuery{Path: path, ResultClass: kw["RESULTCLASS"], Role: kw["ROLE"],
		RequiredQualifier: kw["REQUIREDQUALIFIER"]}
	_, q.ClassDefsOnly = kw["CLASSDEFSONLY"]
	_, q.KeysOnly = kw["KEYSONLY"]
	_, q.SchemaOnly = kw["SCHEMAONLY"]
	return q
}
