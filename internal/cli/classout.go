package cli

import (
	"bytes"
	"encoding/json"
	"io"
	"strconv"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/mof"
)

// printClass prints a class definition in the output format: MOF (class's
// default), JSON (json: indented, jsonl: one line), or a row per property
// (table, list, csv: Name, Type, Origin, Key, Default).
func (r *runner) printClass(c *cim.Class) error {
	switch r.opts.output {
	case FormatMOF:
		_, err := io.WriteString(r.env.Stdout, mof.FormatClass(c))
		return err
	case FormatJSON, FormatJSONL:
		var b bytes.Buffer
		appendJSONClass(&b, c)
		if r.opts.output == FormatJSON {
			var ind bytes.Buffer
			if err := json.Indent(&ind, b.Bytes(), "", "  "); err == nil {
				b = ind
			}
		}
		b.WriteByte('\n')
		_, err := r.env.Stdout.Write(b.Bytes())
		return err
	}
	out, err := newRowWriter(r.opts.output, r.env.Stdout)
	if err != nil {
		return err
	}
	for i := range c.Properties {
		p := &c.Properties[i]
		typ := p.Type.String()
		if p.RefClass != "" {
			typ += " (" + p.RefClass + ")"
		}
		rec := record{names: []string{"Name", "Type", "Origin", "Key", "Default"},
			values: []cim.Value{cim.String(p.Name), cim.String(typ), cim.String(p.Origin), cim.Bool(p.IsKey()), p.Default}}
		if err := out.Row(rec); err != nil {
			return err
		}
	}
	return out.Close()
}

// appendJSONClass writes a class as JSON: its name, superclass, derivation,
// qualifiers (an object, in declaration order), properties (inherited ones
// first, with their origin) and methods with their parameters.
func appendJSONClass(b *bytes.Buffer, c *cim.Class) {
	b.WriteString(`{"Name":`)
	appendJSONString(b, c.Name)
	b.WriteString(`,"Superclass":`)
	if c.Superclass == "" {
		b.WriteString("null")
	} else {
		appendJSONString(b, c.Superclass)
	}
	b.WriteString(`,"Derivation":[`)
	for i, d := range c.Derivation {
		if i > 0 {
			b.WriteByte(',')
		}
		appendJSONString(b, d)
	}
	b.WriteString(`],"Qualifiers":`)
	appendJSONQualifiers(b, c.Qualifiers)
	b.WriteString(`,"Properties":[`)
	for i := range c.Properties {
		p := &c.Properties[i]
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"Name":`)
		appendJSONString(b, p.Name)
		b.WriteString(`,"Type":`)
		appendJSONString(b, p.Type.String())
		if p.RefClass != "" {
			b.WriteString(`,"RefClass":`)
			appendJSONString(b, p.RefClass)
		}
		b.WriteString(`,"Origin":`)
		appendJSONString(b, p.Origin)
		b.WriteString(`,"Key":`)
		b.WriteString(strconv.FormatBool(p.IsKey()))
		b.WriteString(`,"Default":`)
		appendJSONValue(b, p.Default)
		b.WriteString(`,"Qualifiers":`)
		appendJSONQualifiers(b, p.Qualifiers)
		b.WriteByte('}')
	}
	b.WriteString(`],"Methods":[`)
	for i := range c.Methods {
		m := &c.Methods[i]
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(`{"Name":`)
		appendJSONString(b, m.Name)
		b.WriteString(`,"ReturnType":`)
		if m.ReturnType == cim.TypeEmpty {
			b.WriteString("null")
		} else {
			appendJSONString(b, m.ReturnType.String())
		}
		b.WriteString(`,"Origin":`)
		appendJSONString(b, m.Origin)
		b.WriteString(`,"Static":`)
		b.WriteString(strconv.FormatBool(m.IsStatic()))
		b.WriteString(`,"Qualifiers":`)
		appendJSONQualifiers(b, m.Qualifiers)
		b.WriteString(`,"Parameters":[`)
		for j := range m.Params {
			p := &m.Params[j]
			if j > 0 {
				b.WriteByte(',')
			}
			b.WriteString(`{"Name":`)
			appendJSONString(b, p.Name)
			b.WriteString(`,"Type":`)
			appendJSONString(b, p.Type.String())
			if p.RefClass != "" {
				b.WriteString(`,"RefClass":`)
				appendJSONString(b, p.RefClass)
			}
			b.WriteString(`,"In":`)
			b.WriteString(strconv.FormatBool(p.In()))
			b.WriteString(`,"Out":`)
			b.WriteString(strconv.FormatBool(p.Out()))
			b.WriteString(`,"Qualifiers":`)
			appendJSONQualifiers(b, p.Qualifiers)
			b.WriteByte('}')
		}
		b.WriteString("]}")
	}
	b.WriteString("]}")
}

func appendJSONQualifiers(b *bytes.Buffer, qs cim.Qualifiers) {
	b.WriteByte('{')
	for i, q := range qs {
		if i > 0 {
			b.WriteByte(',')
		}
		appendJSONString(b, q.Name)
		b.WriteByte(':')
		v := q.Value
		if v.IsNull() {
			v = cim.Bool(true) // [Key] without a value is true
		}
		appendJSONValue(b, v)
	}
	b.WriteByte('}')
}
