package cimxml

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// DSP0201's QUALIFIER.DECLARATION: NAME, TYPE, ISARRAY, ARRAYSIZE and the
// flavor attributes (OVERRIDABLE and TOSUBCLASS default to true, TOINSTANCE
// and TRANSLATABLE to false), a SCOPE element whose attributes name the
// elements the qualifier may be used on, and the default value. SCOPE has
// no attribute for DSP0004's qualifier scope: a declaration of every scope
// DSP0201 names is read back as scope "any".

// scopeAttrs are SCOPE's attributes, in DSP0201's order.
var scopeAttrs = []struct {
	name  string
	scope cim.Scope
}{
	{"CLASS", cim.ScopeClass}, {"ASSOCIATION", cim.ScopeAssociation}, {"REFERENCE", cim.ScopeReference},
	{"PROPERTY", cim.ScopeProperty}, {"METHOD", cim.ScopeMethod}, {"PARAMETER", cim.ScopeParameter},
	{"INDICATION", cim.ScopeIndication},
}

// qualifierDecl writes QUALIFIER.DECLARATION.
func (e *encoder) qualifierDecl(w *bytes.Buffer, q *cim.QualifierDecl) {
	w.WriteString(`<QUALIFIER.DECLARATION NAME="`)
	escapeAttr(w, q.Name)
	w.WriteString(`" TYPE="` + typeName(q.Type.Elem()) + `"`)
	if q.Type.IsArray() {
		w.WriteString(` ISARRAY="true"`)
		if q.ArraySize > 0 {
			w.WriteString(` ARRAYSIZE="` + strconv.Itoa(q.ArraySize) + `"`)
		}
	} else {
		w.WriteString(` ISARRAY="false"`)
	}
	if q.Flavor&cim.FlavorNotOverridable != 0 {
		w.WriteString(` OVERRIDABLE="false"`)
	}
	if q.Flavor&cim.FlavorToSubclass == 0 {
		w.WriteString(` TOSUBCLASS="false"`)
	}
	if q.Flavor&cim.FlavorToInstance != 0 {
		w.WriteString(` TOINSTANCE="true"`)
	}
	if q.Flavor&cim.FlavorTranslatable != 0 {
		w.WriteString(` TRANSLATABLE="true"`)
	}
	w.WriteString("><SCOPE")
	for _, a := range scopeAttrs {
		if q.Scopes&a.scope != 0 {
			w.WriteString(" " + a.name + `="true"`)
		}
	}
	w.WriteString("/>")
	if !q.Default.IsNull() {
		e.value(w, q.Default)
	}
	w.WriteString("</QUALIFIER.DECLARATION>")
}

// qualifierDecl reads QUALIFIER.DECLARATION, checked as the object manager
// would store it (cim.QualifierDecl.Check).
func (d *decoder) qualifierDecl(n *node) (*cim.QualifierDecl, error) {
	if n == nil {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Description: "expected a <QUALIFIER.DECLARATION>, found nothing"}
	}
	if n.Name != "QUALIFIER.DECLARATION" {
		return nil, badXML(n, "expected a <QUALIFIER.DECLARATION>, found <%s>", n.Name)
	}
	name, err := reqAttr(n, "NAME")
	if err != nil {
		return nil, err
	}
	q := &cim.QualifierDecl{Name: name}
	ts, err := reqAttr(n, "TYPE")
	if err != nil {
		return nil, err
	}
	t, perr := cim.ParseType(ts)
	if perr != nil || t.IsArray() || t == cim.TypeObject || t == cim.TypeReference {
		return nil, badXML(n, "qualifier %s has the bad TYPE %q", name, ts)
	}
	isArray, err := boolAttr(n, "ISARRAY", false)
	if err != nil {
		return nil, err
	}
	if isArray {
		t = t.ArrayOf()
	}
	q.Type = t
	if s, ok := n.attr("ARRAYSIZE"); ok {
		size, err := strconv.ParseUint(strings.TrimSpace(s), 10, 31)
		if err != nil || !isArray {
			return nil, badXML(n, "qualifier %s has the bad ARRAYSIZE %q (it needs ISARRAY=\"true\" and a count)", name, s)
		}
		q.ArraySize = int(size)
	}
	q.Flavor = cim.FlavorToSubclass
	for _, f := range []struct {
		attr string
		def  bool
		bit  cim.Flavor
		set  bool // the bit is set when the attribute is true (else when false)
	}{
		{"OVERRIDABLE", true, cim.FlavorNotOverridable, false},
		{"TOSUBCLASS", true, cim.FlavorToSubclass, true},
		{"TOINSTANCE", false, cim.FlavorToInstance, true},
		{"TRANSLATABLE", false, cim.FlavorTranslatable, true},
	} {
		b, err := boolAttr(n, f.attr, f.def)
		if err != nil {
			return nil, err
		}
		if b == f.set {
			q.Flavor |= f.bit
		} else {
			q.Flavor &^= f.bit
		}
	}
	sawScope, sawValue := false, false
	for _, k := range n.Kids {
		switch k.Name {
		case "SCOPE":
			if sawScope || sawValue {
				return nil, badXML(k, "qualifier %s: one <SCOPE> is allowed, before the value", name)
			}
			sawScope = true
			all := true
			for _, a := range scopeAttrs {
				b, err := boolAttr(k, a.name, false)
				if err != nil {
					return nil, err
				}
				if b {
					q.Scopes |= a.scope
				} else {
					all = false
				}
			}
			if all {
				q.Scopes = cim.ScopeAny
			}
		case "VALUE", "VALUE.ARRAY":
			if sawValue {
				return nil, badXML(k, "qualifier %s has two default values", name)
			}
			sawValue = true
			if q.Default, err = d.value(k, t, plainText); err != nil {
				e := *cim.AsError(err)
				e.Status, e.Parameter = cim.WBEM_E_INVALID_PARAMETER, name
				return nil, &e
			}
		default:
			return nil, badXML(k, "qualifier %s holds <%s>", name, k.Name)
		}
	}
	if err := q.Check(); err != nil {
		return nil, err
	}
	return q, nil
}

// boolAttr reads an attribute of (true|false), def when it is absent.
func boolAttr(n *node, name string, def bool) (bool, error) {
	v, ok := n.attr(name)
	if !ok {
		return def, nil
	}
	switch strings.ToLower(strings.TrimSpace(v)) {
	case "true":
		return true, nil
	case "false":
		return false, nil
	}
	return false, badXML(n, "attribute %s is %q, not true or false", name, v)
}

// qualifierCall serves GetQualifier, SetQualifier, DeleteQualifier and
// EnumerateQualifiers over the backend's qualifier declarations (a backend
// that keeps none answers CIM_ERR_NOT_SUPPORTED).
func (c *call) qualifierCall(ps *params, method string) error {
	switch method {
	case "SetQualifier":
		q, err := c.dec.qualifierDecl(ps.value("QualifierDeclaration"))
		if err != nil {
			if e := cim.AsError(err); e.Parameter == "" {
				e.Parameter = "QualifierDeclaration"
			}
			return err
		}
		flags, err := flagsParam(ps, 0) // the "flags" extension: create or update only
		if err != nil {
			return err
		}
		return c.svc.PutQualifier(c.ctx, q, flags)
	case "EnumerateQualifiers":
		qs, err := c.svc.EnumQualifiers(c.ctx)
		if err != nil {
			return err
		}
		c.returnValue()
		for _, q := range qs {
			c.enc.qualifierDecl(c.resp.buf, q)
		}
		c.endReturnValue()
		return nil
	}
	name, err := ps.name("QualifierName")
	if err != nil {
		return err
	}
	if name == "" {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "QualifierName", Description: method + " needs a QualifierName"}
	}
	if method == "DeleteQualifier" {
		return c.svc.DeleteQualifier(c.ctx, name)
	}
	q, err := c.svc.GetQualifier(c.ctx, name)
	if err != nil {
		return err
	}
	c.returnValue()
	c.enc.qualifierDecl(c.resp.buf, q)
	c.endReturnValue()
	return nil
}

// qualifierOp runs a qualifier-declaration operation on the server. Create
// or update only travel as the "flags" extension to gowbem's server; to
// another, they are checked with a GetQualifier first (not atomically:
// DSP0200's SetQualifier creates or replaces).
func (c *Client) qualifierOp(ctx context.Context, ns string, op *wbem.Op, w wbem.ResultWriter) error {
	read := func(it *item) error {
		n, err := it.node()
		if err != nil {
			return err
		}
		q, err := (&decoder{ns: ns}).qualifierDecl(n)
		if err != nil {
			return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: op.Kind.String(),
				Description: "the server sent a bad qualifier declaration: " + cim.AsError(err).Description, Err: err}
		}
		return w.Write(q)
	}
	switch op.Kind {
	case wbem.OpGetQualifier, wbem.OpDeleteQualifier:
		method := "GetQualifier"
		if op.Kind == wbem.OpDeleteQualifier {
			method = "DeleteQualifier"
		}
		if op.Path == "" {
			return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: op.Kind.String(), Parameter: "QualifierName", Description: method + " needs a qualifier name"}
		}
		r := read
		if method == "DeleteQualifier" {
			r = nil
		}
		_, err := c.call(ctx, &rpc{method: method, ns: ns, intrinsic: true, params: func(b *bytes.Buffer) {
			iparamString(b, "QualifierName", op.Path)
		}}, r)
		return err
	case wbem.OpEnumQualifiers:
		_, err := c.call(ctx, &rpc{method: "EnumerateQualifiers", ns: ns, intrinsic: true}, read)
		return err
	}
	q, ok := op.Object.(*cim.QualifierDecl)
	if !ok || q == nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: op.Kind.String(), Description: "PutQualifier needs a qualifier declaration"}
	}
	if err := q.Clone().Check(); err != nil {
		return err
	}
	if err := c.learn(ctx, ns); err != nil {
		return err
	}
	flags := op.Flags & (wbem.WBEM_FLAG_CREATE_ONLY | wbem.WBEM_FLAG_UPDATE_ONLY)
	ext := c.ext.Load()
	if flags != 0 && !ext {
		_, err := c.call(ctx, &rpc{method: "GetQualifier", ns: ns, intrinsic: true, params: func(b *bytes.Buffer) {
			iparamString(b, "QualifierName", q.Name)
		}}, nil)
		switch {
		case err == nil && flags&wbem.WBEM_FLAG_CREATE_ONLY != 0:
			return &cim.Error{Status: cim.WBEM_E_ALREADY_EXISTS, Parameter: q.Name, Description: "qualifier " + q.Name + " is already declared in " + ns}
		case errors.Is(err, cim.ErrNotFound) && flags&wbem.WBEM_FLAG_UPDATE_ONLY != 0:
			return err
		case err != nil && !errors.Is(err, cim.ErrNotFound):
			return err
		}
	}
	_, err := c.call(ctx, &rpc{method: "SetQualifier", ns: ns, intrinsic: true, params: func(b *bytes.Buffer) {
		iparam(b, "QualifierDeclaration", func(b *bytes.Buffer) { c.encoder(ns).qualifierDecl(b, q) })
		if ext {
			iparamString(b, FlagsParam, fmt.Sprint(uint32(flags)))
		}
	}}, nil)
	return err
}
