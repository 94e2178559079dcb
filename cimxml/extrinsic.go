package cimxml

import (
	"bytes"
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// paramsClass makes the class of a method's in- or out-parameters
// (__PARAMETERS), ReturnValue first for the out-parameters.
func paramsClass(m *cim.Method, out bool) (*cim.Class, error) {
	decl := &cim.Class{Name: "__PARAMETERS"}
	if out && m.ReturnType != cim.TypeEmpty {
		decl.Properties = append(decl.Properties, cim.Property{Name: "ReturnValue", Type: m.ReturnType})
	}
	for _, p := range m.Params {
		if out && p.Out() || !out && p.In() {
			decl.Properties = append(decl.Properties, cim.Property{Name: p.Name, Type: p.Type, RefClass: p.RefClass, Qualifiers: p.Qualifiers})
		}
	}
	return cim.Derive(nil, decl)
}

// extrinsic serves METHODCALL on an instance or a class.
func (c *call) extrinsic() error {
	p, err := c.dec.objectPath(c.req.target)
	if err != nil {
		return err
	}
	p.Namespace, p.Server = "", ""
	cl, err := c.lookupClass(p.Class)
	if err != nil {
		return err
	}
	m, ok := cl.Method(c.req.method)
	if !ok {
		return &cim.Error{Status: cim.WBEM_E_INVALID_METHOD, Parameter: c.req.method,
			Description: "class " + cl.Name + " has no method " + c.req.method}
	}
	c.req.method = m.Name
	c.resp.method = m.Name
	in, err := c.inParams(m)
	if err != nil {
		return err
	}
	path := p.Class
	if !p.IsClass() {
		path = p.String()
	}
	cr, err := c.svc.ExecMethod(c.ctx, path, m.Name, in, 0)
	if err != nil {
		return err
	}
	obj, _ := cr.ResultObject(0)
	out, _ := obj.(*cim.Instance)
	c.resp.begin()
	w := c.resp.buf
	if out != nil {
		oc := out.Class()
		if i := oc.PropertyIndex("ReturnValue"); i >= 0 {
			rv := out.At(i)
			t := oc.Properties[i].Type
			w.WriteString(`<RETURNVALUE PARAMTYPE="` + typeName(t) + `"`)
			if t == cim.TypeObject {
				w.WriteString(` EmbeddedObject="object"`)
			}
			w.WriteByte('>')
			if !rv.IsNull() {
				c.enc.value(w, rv)
			}
			w.WriteString("</RETURNVALUE>")
		}
		for i := range oc.Properties {
			op := &oc.Properties[i]
			if strings.EqualFold(op.Name, "ReturnValue") {
				continue
			}
			c.paramValue(w, op.Name, op.Type, op.RefClass, out.At(i))
		}
	}
	return nil
}

// paramValue writes PARAMVALUE with its PARAMTYPE.
func (c *call) paramValue(w *bytes.Buffer, name string, t cim.Type, refClass string, v cim.Value) {
	writeParamValue(c.enc, w, name, t, refClass, v)
}

func writeParamValue(e *encoder, w *bytes.Buffer, name string, t cim.Type, refClass string, v cim.Value) {
	w.WriteString(`<PARAMVALUE NAME="`)
	escapeAttr(w, name)
	w.WriteString(`" PARAMTYPE="` + typeName(t) + `"`)
	if t.Elem() == cim.TypeObject {
		w.WriteString(` EmbeddedObject="` + embeddedKind(refClass) + `"`)
	}
	w.WriteByte('>')
	if !v.IsNull() {
		if v.Type() != t {
			if cv, err := v.Convert(t); err == nil {
				v = cv
			}
		}
		e.value(w, v)
	}
	w.WriteString("</PARAMVALUE>")
}

// inParams reads the PARAMVALUEs of a METHODCALL, typed by the method's
// declaration (wbemcli sends no PARAMTYPE).
func (c *call) inParams(m *cim.Method) (*cim.Instance, error) {
	kids := c.req.call.Kids[1:]
	if len(kids) == 0 {
		return nil, nil
	}
	pc, err := paramsClass(m, false)
	if err != nil {
		return nil, err
	}
	in := pc.NewInstance()
	for _, k := range kids {
		if k.Name != "PARAMVALUE" {
			return nil, badXML(k, "<METHODCALL> holds <%s>, not <PARAMVALUE>", k.Name)
		}
		name, err := reqAttr(k, "NAME")
		if err != nil {
			return nil, err
		}
		i := pc.PropertyIndex(name)
		if i < 0 {
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_METHOD_PARAMETERS, Parameter: name,
				Description: "method " + m.Name + " has no in-parameter " + name}
		}
		if len(k.Kids) > 1 {
			return nil, badXML(k, "parameter %s holds %d values", name, len(k.Kids))
		}
		if len(k.Kids) == 0 {
			continue
		}
		pp := &pc.Properties[i]
		em, err := embedding(k, pp.Type, pp.Qualifiers, eoAttr(k))
		var v cim.Value
		if err == nil {
			v, err = c.dec.value(k.Kids[0], pp.Type, em)
		}
		if err != nil {
			e := cim.AsError(err)
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_METHOD_PARAMETERS, Parameter: name,
				Description: "parameter " + name + ": " + e.Description}
		}
		in.SetAt(i, v)
	}
	return in, nil
}
