package mof

import (
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// The syntax tree the parser hands to the compiler, one production at a time.

type litKind uint8

const (
	litNull litKind = iota
	litBool
	litInt
	litReal
	litString
	litChar
	litArray
	litAlias
	litInstance
)

// literal is a value as written: a constant, an array of them, an alias or an
// embedded instance.
type literal struct {
	kind  litKind
	tok   token
	b     bool
	neg   bool
	u     uint64 // integer magnitude
	s     string // string or char value, real text, alias name
	elems []literal
	inst  *instDecl
}

type qualUse struct {
	name       token
	val        *literal
	set, clear cim.Flavor // flavors given at the use, as bits to set and clear
}

type typeSpec struct {
	tok       token
	t         cim.Type
	refClass  string
	arraySize int  // -1: scalar; 0: unbounded array; n: fixed-size array
	objClass  bool // a class name used as the type of an embedded object
}

type propDecl struct {
	quals []qualUse
	name  token
	typ   typeSpec
	def   *literal
}

type paramDecl = propDecl

type methodDecl struct {
	quals  []qualUse
	name   token
	ret    typeSpec
	params []paramDecl
}

type classDecl struct {
	quals   []qualUse
	start   token
	name    token
	alias   token
	super   token
	props   []propDecl
	methods []methodDecl
}

type instDecl struct {
	start token
	class token
	alias token
	props []propInit
}

type propInit struct {
	name token
	val  literal
}

// parser reads one source file and hands each production to the compiler.
type parser struct {
	c     *compiler
	lx    *lexer
	tok   token
	depth int // include depth of this file
}

func (p *parser) next() *Error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

func (p *parser) errf(s cim.Status, format string, args ...any) *Error {
	return newError(p.tok.pos(), p.tok.text, s, format, args...)
}

func errAt(t token, s cim.Status, format string, args ...any) *Error {
	return newError(t.pos(), t.text, s, format, args...)
}

// expect consumes the punctuation c or fails with status s.
func (p *parser) expect(c byte, s cim.Status) *Error {
	if !p.tok.is(c) {
		return p.errf(s, "expected %q", string(c))
	}
	return p.next()
}

func (p *parser) ident(s cim.Status, what string) (token, *Error) {
	if p.tok.kind != tIdent {
		return p.tok, p.errf(s, "expected %s", what)
	}
	t := p.tok
	return t, p.next()
}

// parseFile parses the whole source.
func (p *parser) parseFile() *Error {
	if err := p.next(); err != nil {
		return err
	}
	for p.tok.kind != tEOF {
		if err := p.c.tick(); err != nil {
			return err
		}
		if err := p.production(); err != nil {
			return err
		}
	}
	return nil
}

func (p *parser) production() *Error {
	switch {
	case p.tok.kind == tPragma:
		return p.pragma()
	case p.tok.isWord("qualifier"):
		return p.qualifierDecl()
	case p.tok.isWord("typedef"):
		return p.errf(cim.WBEMMOF_E_TYPEDEF_NOT_SUPPORTED, "typedef is not supported")
	}
	start := p.tok
	var quals []qualUse
	if p.tok.is('[') {
		var err *Error
		if quals, err = p.qualifierList(); err != nil {
			return err
		}
	}
	switch {
	case p.tok.isWord("class"):
		return p.classDecl(start, quals, "")
	case p.tok.isWord("association"), p.tok.isWord("indication"):
		// DSP0221 3.0 spells associations and indications with their own keyword.
		return p.classDecl(start, quals, p.tok.text)
	case p.tok.isWord("instance"):
		d, err := p.instanceDecl(0)
		if err != nil {
			return err
		}
		d.start = start
		if err := p.expect(';', cim.WBEMMOF_E_EXPECTED_SEMI); err != nil {
			return err
		}
		return p.c.instance(d, quals)
	}
	if quals != nil {
		return p.errf(cim.WBEMMOF_E_INVALID_CLASS_DECLARATION, "expected class or instance after qualifiers")
	}
	return p.errf(cim.WBEMMOF_E_UNRECOGNIZED_TOKEN, "expected #pragma, qualifier, class or instance")
}

// qualifierList parses [name(value): flavor …, …].
func (p *parser) qualifierList() ([]qualUse, *Error) {
	if err := p.next(); err != nil { // [
		return nil, err
	}
	var out []qualUse
	for {
		q, err := p.qualifier()
		if err != nil {
			return nil, err
		}
		out = append(out, q)
		if p.tok.is(',') {
			if err := p.next(); err != nil {
				return nil, err
			}
			continue
		}
		if p.tok.is(']') {
			return out, p.next()
		}
		return nil, p.errf(cim.WBEMMOF_E_EXPECTED_CLOSE_BRACKET, "expected ',' or ']' in qualifier list")
	}
}

func (p *parser) qualifier() (qualUse, *Error) {
	var q qualUse
	var err *Error
	if q.name, err = p.ident(cim.WBEMMOF_E_EXPECTED_QUALIFIER_NAME, "a qualifier name"); err != nil {
		return q, err
	}
	switch {
	case p.tok.is('('):
		if err := p.next(); err != nil {
			return q, err
		}
		v, err := p.value(0, false)
		if err != nil {
			return q, err
		}
		q.val = &v
		if err := p.expect(')', cim.WBEMMOF_E_EXPECTED_CLOSE_PAREN); err != nil {
			return q, err
		}
	case p.tok.is('{'):
		v, err := p.array(0, false)
		if err != nil {
			return q, err
		}
		q.val = &v
	}
	if p.tok.is(':') {
		if err := p.next(); err != nil {
			return q, err
		}
		if err := p.flavor(&q.set, &q.clear); err != nil {
			return q, err
		}
		for p.tok.kind == tIdent {
			if _, ok := flavorNames[strings.ToLower(p.tok.text)]; !ok {
				break
			}
			if err := p.flavor(&q.set, &q.clear); err != nil {
				return q, err
			}
		}
	}
	return q, nil
}

type flavorEffect struct {
	set, clear cim.Flavor
}

var flavorNames = map[string]flavorEffect{
	"enableoverride":  {0, cim.FlavorNotOverridable},
	"disableoverride": {cim.FlavorNotOverridable, 0},
	"tosubclass":      {cim.FlavorToSubclass, 0},
	"restricted":      {0, cim.FlavorToSubclass},
	"nottosubclass":   {0, cim.FlavorToSubclass},
	"toinstance":      {cim.FlavorToInstance, 0},
	"nottoinstance":   {0, cim.FlavorToInstance},
	"translatable":    {cim.FlavorTranslatable, 0},
	"amended":         {cim.FlavorAmended, 0},
}

// flavor applies one flavor keyword to the sets, rejecting contradictions.
func (p *parser) flavor(set, clear *cim.Flavor) *Error {
	f, ok := flavorNames[strings.ToLower(p.tok.text)]
	if !ok {
		return p.errf(cim.WBEMMOF_E_EXPECTED_FLAVOR_TYPE, "unknown flavor")
	}
	if f.set&*clear != 0 || f.clear&*set != 0 {
		return p.errf(cim.WBEMMOF_E_INCOMPATIBLE_FLAVOR_TYPES, "flavor contradicts an earlier one")
	}
	*set |= f.set
	*clear |= f.clear
	return p.next()
}

// value parses a constant, a concatenation of strings, an array, an alias or
// (when allowed) an embedded instance.
func (p *parser) value(depth int, allowInstance bool) (literal, *Error) {
	if depth > MaxNesting {
		return literal{}, p.errf(cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "values nest deeper than %d levels", MaxNesting)
	}
	t := p.tok
	l := literal{tok: t}
	switch t.kind {
	case tString:
		l.kind, l.s = litString, t.val
		if err := p.next(); err != nil {
			return l, err
		}
		if p.tok.kind == tString {
			var b strings.Builder
			b.WriteString(l.s)
			for p.tok.kind == tString {
				b.WriteString(p.tok.val)
				if err := p.next(); err != nil {
					return l, err
				}
			}
			l.s = b.String()
		}
		return l, nil
	case tChar:
		l.kind, l.s = litChar, t.val
	case tInt:
		l.kind, l.u, l.neg = litInt, t.num, t.neg
	case tReal:
		l.kind, l.s = litReal, t.text
	case tAlias:
		l.kind, l.s = litAlias, t.val
	case tIdent:
		switch {
		case t.isWord("true"), t.isWord("false"):
			l.kind, l.b = litBool, t.isWord("true")
		case t.isWord("null"):
			l.kind = litNull
		case t.isWord("instance") && allowInstance:
			d, err := p.instanceDecl(depth + 1)
			if err != nil {
				return l, err
			}
			l.kind, l.inst = litInstance, d
			return l, nil
		default:
			return l, p.errf(cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "expected a value")
		}
	case tPunct:
		if t.is('{') {
			return p.array(depth, allowInstance)
		}
		return l, p.errf(cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "expected a value")
	default:
		return l, p.errf(cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, "expected a value")
	}
	return l, p.next()
}

func (p *parser) array(depth int, allowInstance bool) (literal, *Error) {
	l := literal{kind: litArray, tok: p.tok}
	if err := p.next(); err != nil { // {
		return l, err
	}
	if p.tok.is('}') {
		l.elems = []literal{}
		return l, p.next()
	}
	for {
		if p.tok.is('{') {
			return l, p.errf(cim.WBEMMOF_E_UNEXPECTED_ARRAY_INIT, "arrays cannot nest")
		}
		e, err := p.value(depth+1, allowInstance)
		if err != nil {
			return l, err
		}
		l.elems = append(l.elems, e)
		if p.tok.is(',') {
			if err := p.next(); err != nil {
				return l, err
			}
			continue
		}
		if p.tok.is('}') {
			return l, p.next()
		}
		return l, p.errf(cim.WBEMMOF_E_EXPECTED_CLOSE_BRACE, "expected ',' or '}' in array")
	}
}

// pragma parses #pragma name [(args)].
func (p *parser) pragma() *Error {
	start := p.tok
	if err := p.next(); err != nil {
		return err
	}
	name, err := p.ident(cim.WBEMMOF_E_INVALID_PRAGMA, "a pragma name")
	if err != nil {
		return err
	}
	var args []literal
	if p.tok.is('(') {
		if err := p.next(); err != nil {
			return err
		}
		for !p.tok.is(')') {
			var a literal
			if p.tok.kind == tIdent && !p.tok.isWord("true") && !p.tok.isWord("false") && !p.tok.isWord("null") {
				a = literal{kind: litString, tok: p.tok, s: p.tok.text}
				if err := p.next(); err != nil {
					return err
				}
			} else if a, err = p.value(0, false); err != nil {
				return err
			}
			args = append(args, a)
			if p.tok.is(',') {
				if err := p.next(); err != nil {
					return err
				}
				continue
			}
			if !p.tok.is(')') {
				return p.errf(cim.WBEMMOF_E_EXPECTED_CLOSE_PAREN, "expected ',' or ')' in #pragma %s", name.text)
			}
		}
		if err := p.next(); err != nil {
			return err
		}
	}
	return p.c.pragma(p, start, name, args)
}

// qualifierDecl parses Qualifier Name : type[n] = value, Scope(...), Flavor(...);
func (p *parser) qualifierDecl() *Error {
	start := p.tok
	if err := p.next(); err != nil {
		return err
	}
	name, err := p.ident(cim.WBEMMOF_E_EXPECTED_QUALIFIER_NAME, "a qualifier name")
	if err != nil {
		return err
	}
	if err := p.expect(':', cim.WBEMMOF_E_INVALID_QUALIFIER_SYNTAX); err != nil {
		return err
	}
	tt, err := p.ident(cim.WBEMMOF_E_EXPECTED_TYPE_IDENTIFIER, "a qualifier type")
	if err != nil {
		return err
	}
	t, perr := cim.ParseType(tt.text)
	if perr != nil || t == cim.TypeReference || t == cim.TypeObject {
		return errAt(tt, cim.WBEMMOF_E_UNRECOGNIZED_TYPE, "%s is not a qualifier type", tt.text)
	}
	size := -1
	if p.tok.is('[') {
		if size, err = p.arraySuffix(); err != nil {
			return err
		}
		t = t.ArrayOf()
	}
	var def *literal
	if p.tok.is('=') {
		if err := p.next(); err != nil {
			return err
		}
		v, err := p.value(0, false)
		if err != nil {
			return err
		}
		def = &v
	}
	scopes := Scope(0)
	var set, clear cim.Flavor
	sawScope, sawFlavor := false, false
	for p.tok.is(',') {
		if err := p.next(); err != nil {
			return err
		}
		switch {
		case p.tok.isWord("scope") && !sawScope:
			sawScope = true
			if err := p.list(func() *Error {
				s, ok := scopeByName(p.tok.text)
				if p.tok.kind != tIdent || !ok {
					return p.errf(cim.WBEMMOF_E_INVALID_QUALIFIER_SYNTAX, "unknown scope")
				}
				scopes |= s
				return p.next()
			}); err != nil {
				return err
			}
		case p.tok.isWord("flavor") && !sawFlavor:
			sawFlavor = true
			if err := p.list(func() *Error {
				if p.tok.kind != tIdent {
					return p.errf(cim.WBEMMOF_E_EXPECTED_FLAVOR_TYPE, "expected a flavor")
				}
				return p.flavor(&set, &clear)
			}); err != nil {
				return err
			}
		default:
			return p.errf(cim.WBEMMOF_E_INVALID_QUALIFIER_SYNTAX, "expected Scope(...) or Flavor(...)")
		}
	}
	if err := p.expect(';', cim.WBEMMOF_E_EXPECTED_SEMI); err != nil {
		return err
	}
	if !sawScope {
		scopes = ScopeAny
	}
	return p.c.qualifierDecl(start, name, t, max(size, 0), def, scopes, set, clear)
}

func scopeByName(s string) (Scope, bool) {
	if strings.EqualFold(s, "any") {
		return ScopeAny, true
	}
	if strings.EqualFold(s, "schema") { // DSP0004 2.x: accepted, means nothing here
		return 0, true
	}
	for _, n := range cim.ScopeNames {
		if strings.EqualFold(s, n.Name) {
			return n.Scope, true
		}
	}
	return 0, false
}

// list parses ( item , item … ) after a keyword.
func (p *parser) list(item func() *Error) *Error {
	if err := p.next(); err != nil { // the keyword
		return err
	}
	if err := p.expect('(', cim.WBEMMOF_E_EXPECTED_OPEN_PAREN); err != nil {
		return err
	}
	for {
		if err := item(); err != nil {
			return err
		}
		if p.tok.is(',') {
			if err := p.next(); err != nil {
				return err
			}
			continue
		}
		return p.expect(')', cim.WBEMMOF_E_EXPECTED_CLOSE_PAREN)
	}
}

// arraySuffix parses [] or [n] and returns 0 or n.
func (p *parser) arraySuffix() (int, *Error) {
	if err := p.next(); err != nil { // [
		return 0, err
	}
	n := 0
	if p.tok.kind == tInt {
		if p.tok.neg || p.tok.num == 0 || p.tok.num > MaxArraySize {
			return 0, p.errf(cim.WBEMMOF_E_OUT_OF_RANGE, "array size must be between 1 and %d", MaxArraySize)
		}
		n = int(p.tok.num)
		if err := p.next(); err != nil {
			return 0, err
		}
	}
	return n, p.expect(']', cim.WBEMMOF_E_EXPECTED_CLOSE_BRACKET)
}

// classDecl parses class Name [as $A] [: Super] { features };
func (p *parser) classDecl(start token, quals []qualUse, keyword string) *Error {
	d := &classDecl{quals: quals, start: start}
	if err := p.next(); err != nil {
		return err
	}
	var err *Error
	if d.name, err = p.ident(cim.WBEMMOF_E_EXPECTED_CLASS_NAME, "a class name"); err != nil {
		return err
	}
	if p.tok.isWord("as") {
		if d.alias, err = p.aliasDecl(); err != nil {
			return err
		}
	}
	if p.tok.is(':') {
		if err := p.next(); err != nil {
			return err
		}
		if d.super, err = p.ident(cim.WBEMMOF_E_EXPECTED_CLASS_NAME, "a superclass name"); err != nil {
			return err
		}
	}
	if err := p.expect('{', cim.WBEMMOF_E_EXPECTED_OPEN_BRACE); err != nil {
		return err
	}
	seenP := map[string]bool{}
	seenM := map[string]bool{}
	for !p.tok.is('}') {
		if p.tok.kind == tEOF {
			return p.errf(cim.WBEMMOF_E_EXPECTED_CLOSE_BRACE, "class %s is not closed", d.name.text)
		}
		var fq []qualUse
		if p.tok.is('[') {
			if fq, err = p.qualifierList(); err != nil {
				return err
			}
		}
		typ, err := p.typeSpec()
		if err != nil {
			return err
		}
		name, err := p.ident(cim.WBEMMOF_E_EXPECTED_PROPERTY_NAME, "a property or method name")
		if err != nil {
			return err
		}
		low := strings.ToLower(name.text)
		if p.tok.is('(') {
			if seenM[low] {
				return errAt(name, cim.WBEM_E_INVALID_METHOD, "method %s is declared twice in class %s", name.text, d.name.text)
			}
			seenM[low] = true
			m, err := p.method(fq, typ, name)
			if err != nil {
				return err
			}
			d.methods = append(d.methods, m)
			continue
		}
		if seenP[low] {
			return errAt(name, cim.WBEMMOF_E_DUPLICATE_PROPERTY, "property %s is declared twice in class %s", name.text, d.name.text)
		}
		seenP[low] = true
		pd, err := p.propertyRest(fq, typ, name, true)
		if err != nil {
			return err
		}
		if err := p.expect(';', cim.WBEMMOF_E_EXPECTED_SEMI); err != nil {
			return err
		}
		d.props = append(d.props, pd)
	}
	if err := p.next(); err != nil { // }
		return err
	}
	if err := p.expect(';', cim.WBEMMOF_E_EXPECTED_SEMI); err != nil {
		return err
	}
	return p.c.class(d, keyword)
}

func (p *parser) aliasDecl() (token, *Error) {
	if err := p.next(); err != nil { // as
		return token{}, err
	}
	if p.tok.kind != tAlias {
		return p.tok, p.errf(cim.WBEMMOF_E_EXPECTED_DOLLAR, "expected $alias after 'as'")
	}
	t := p.tok
	return t, p.next()
}

// typeSpec parses a data type, ClassName REF, or a class name used as the type
// of an embedded object.
func (p *parser) typeSpec() (typeSpec, *Error) {
	ts := typeSpec{tok: p.tok, arraySize: -1}
	if p.tok.kind != tIdent {
		return ts, p.errf(cim.WBEMMOF_E_EXPECTED_TYPE_IDENTIFIER, "expected a data type")
	}
	text := p.tok.text
	if err := p.next(); err != nil {
		return ts, err
	}
	if p.tok.isWord("ref") {
		ts.t = cim.TypeReference
		if !strings.EqualFold(text, "object") {
			ts.refClass = text
		}
		return ts, p.next()
	}
	if strings.EqualFold(text, "void") {
		ts.t = cim.TypeEmpty
		return ts, nil
	}
	if strings.EqualFold(text, "ref") || strings.EqualFold(text, "reference") {
		return ts, errAt(ts.tok, cim.WBEMMOF_E_UNRECOGNIZED_TYPE, "a reference type is written ClassName REF")
	}
	if t, err := cim.ParseType(text); err == nil {
		ts.t = t
		return ts, nil
	}
	ts.t, ts.refClass, ts.objClass = cim.TypeObject, text, true
	return ts, nil
}

// propertyRest parses the rest of a property or parameter after its name:
// an array suffix and a default value.
func (p *parser) propertyRest(quals []qualUse, typ typeSpec, name token, allowDefault bool) (propDecl, *Error) {
	pd := propDecl{quals: quals, name: name, typ: typ}
	if typ.t == cim.TypeEmpty {
		return pd, errAt(typ.tok, cim.WBEMMOF_E_UNRECOGNIZED_TYPE, "void is only a method return type")
	}
	if p.tok.is('[') {
		n, err := p.arraySuffix()
		if err != nil {
			return pd, err
		}
		if p.tok.is('(') {
			return pd, p.errf(cim.WBEMMOF_E_NO_ARRAYS_RETURNED, "a method cannot return an array")
		}
		pd.typ.arraySize = n
		pd.typ.t = pd.typ.t.ArrayOf()
	}
	if p.tok.is('=') && allowDefault {
		if err := p.next(); err != nil {
			return pd, err
		}
		v, err := p.value(0, true)
		if err != nil {
			return pd, err
		}
		pd.def = &v
	}
	return pd, nil
}

func (p *parser) method(quals []qualUse, ret typeSpec, name token) (methodDecl, *Error) {
	m := methodDecl{quals: quals, name: name, ret: ret}
	if err := p.next(); err != nil { // (
		return m, err
	}
	seen := map[string]bool{}
	for !p.tok.is(')') {
		var pq []qualUse
		var err *Error
		if p.tok.is('[') {
			if pq, err = p.qualifierList(); err != nil {
				return m, err
			}
		}
		typ, err := p.typeSpec()
		if err != nil {
			return m, err
		}
		pn, err := p.ident(cim.WBEMMOF_E_EXPECTED_PROPERTY_NAME, "a parameter name")
		if err != nil {
			return m, err
		}
		if low := strings.ToLower(pn.text); seen[low] {
			return m, errAt(pn, cim.WBEM_E_INVALID_DUPLICATE_PARAMETER, "parameter %s is declared twice in method %s", pn.text, name.text)
		} else {
			seen[low] = true
		}
		pd, err := p.propertyRest(pq, typ, pn, true)
		if err != nil {
			return m, err
		}
		m.params = append(m.params, pd)
		if p.tok.is(',') {
			if err := p.next(); err != nil {
				return m, err
			}
			continue
		}
		if !p.tok.is(')') {
			return m, p.errf(cim.WBEMMOF_E_EXPECTED_CLOSE_PAREN, "expected ',' or ')' in parameter list")
		}
	}
	if err := p.next(); err != nil {
		return m, err
	}
	return m, p.expect(';', cim.WBEMMOF_E_EXPECTED_SEMI)
}

// instanceDecl parses instance of Class [as $A] { [quals] Prop = value; … }
// without the final semicolon.
func (p *parser) instanceDecl(depth int) (*instDecl, *Error) {
	if depth > MaxNesting {
		return nil, p.errf(cim.WBEMMOF_E_INVALID_INSTANCE_DECLARATION, "embedded instances nest deeper than %d levels", MaxNesting)
	}
	d := &instDecl{start: p.tok}
	if err := p.next(); err != nil { // instance
		return nil, err
	}
	if !p.tok.isWord("of") {
		return nil, p.errf(cim.WBEMMOF_E_INVALID_INSTANCE_DECLARATION, "expected 'of' after 'instance'")
	}
	if err := p.next(); err != nil {
		return nil, err
	}
	var err *Error
	if d.class, err = p.ident(cim.WBEMMOF_E_EXPECTED_CLASS_NAME, "a class name"); err != nil {
		return nil, err
	}
	if p.tok.isWord("as") {
		if d.alias, err = p.aliasDecl(); err != nil {
			return nil, err
		}
	}
	if err := p.expect('{', cim.WBEMMOF_E_EXPECTED_OPEN_BRACE); err != nil {
		return nil, err
	}
	d.props = make([]propInit, 0, 8)
	var seen map[string]bool // past a few properties; a scan finds duplicates before
	for !p.tok.is('}') {
		if p.tok.kind == tEOF {
			return nil, p.errf(cim.WBEMMOF_E_EXPECTED_CLOSE_BRACE, "instance of %s is not closed", d.class.text)
		}
		if p.tok.is('[') {
			// Qualifiers on instance properties are accepted and ignored.
			if _, err := p.qualifierList(); err != nil {
				return nil, err
			}
		}
		name, err := p.ident(cim.WBEMMOF_E_EXPECTED_PROPERTY_NAME, "a property name")
		if err != nil {
			return nil, err
		}
		dup := false
		switch {
		case seen != nil:
			low := strings.ToLower(name.text)
			dup, seen[low] = seen[low], true
		case len(d.props) < 16:
			for i := range d.props {
				dup = dup || cim.EqualFold(d.props[i].name.text, name.text)
			}
		default:
			seen = make(map[string]bool, 2*len(d.props))
			for i := range d.props {
				seen[strings.ToLower(d.props[i].name.text)] = true
			}
			low := strings.ToLower(name.text)
			dup, seen[low] = seen[low], true
		}
		if dup {
			return nil, errAt(name, cim.WBEMMOF_E_DUPLICATE_PROPERTY, "property %s is set twice", name.text)
		}
		if err := p.expect('=', cim.WBEMMOF_E_INVALID_INSTANCE_DECLARATION); err != nil {
			return nil, err
		}
		v, err := p.value(depth, true)
		if err != nil {
			return nil, err
		}
		if err := p.expect(';', cim.WBEMMOF_E_EXPECTED_SEMI); err != nil {
			return nil, err
		}
		d.props = append(d.props, propInit{name: name, val: v})
	}
	return d, p.next()
}
