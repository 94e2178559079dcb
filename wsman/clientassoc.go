package wsman

import (
	"bytes"
	"context"
	"fmt"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wql"
)

// assocFilter is an ASSOCIATORS OF or REFERENCES OF query as DSP0227's
// association filter: wsmb:AssociatedInstances (refs false) or
// wsmb:AssociationInstances (refs true) of the instance at path.
type assocFilter struct {
	refs bool
	path cim.ObjectPath
	// The filter's elements; "" leaves one out.
	assocClass, role, resultClass, resultRole string
	// keysOnly: WHERE KeysOnly, asked as the results' references
	// (EnumerateEPR), each made the instance of its keys.
	keysOnly bool
}

// associationFilter returns the association filter an ExecQuery's WQL
// ASSOCIATORS OF or REFERENCES OF query becomes, or nil for any other
// query (sent as WQL text). The filter carries the source instance (an EPR
// built as for Get), AssocClass, ResultClass, Role and ResultRole, and
// KeysOnly becomes EnumerationMode EnumerateEPR; what it
// cannot carry (a class as the source, or one in another namespace,
// ClassDefsOnly, SchemaOnly, RequiredQualifier,
// RequiredAssocQualifier) goes to a gowbem
// server as the WQL text, which its server takes whole (KeysOnly too),
// and to any other server is WBEM_E_NOT_SUPPORTED naming the clause: it is
// never dropped. A nil filter without an error: send the query as WQL.
func (c *Client) associationFilter(ctx context.Context, op *wbem.Op) (f *assocFilter, err error) {
	if op.Language != "WQL" {
		return nil, nil
	}
	q, perr := wql.Parse(op.Query)
	if perr != nil {
		return nil, nil // the server says what is wrong with it
	}
	var path, what string
	var cannot []string
	switch q := q.(type) {
	case *wql.AssociatorsQuery:
		f = &assocFilter{assocClass: q.AssocClass, role: q.Role, resultClass: q.ResultClass, resultRole: q.ResultRole, keysOnly: q.KeysOnly}
		path, what = q.Path, "ASSOCIATORS OF"
		cannot = flagClauses(q.ClassDefsOnly, q.SchemaOnly)
		if q.RequiredQualifier != "" {
			cannot = append(cannot, "RequiredQualifier")
		}
		if q.RequiredAssocQualifier != "" {
			cannot = append(cannot, "RequiredAssocQualifier")
		}
	case *wql.ReferencesQuery:
		f = &assocFilter{refs: true, role: q.Role, resultClass: q.ResultClass, keysOnly: q.KeysOnly}
		path, what = q.Path, "REFERENCES OF"
		cannot = flagClauses(q.ClassDefsOnly, q.SchemaOnly)
		if q.RequiredQualifier != "" {
			cannot = append(cannot, "RequiredQualifier")
		}
	default:
		return nil, nil
	}
	si, err := c.info(ctx)
	if err != nil {
		return nil, err
	}
	refuse := func(why string) (*assocFilter, error) {
		if si.gowbem {
			return nil, nil
		}
		return nil, &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Parameter: op.Query, Description: fmt.Sprintf(
			"%s goes to this WS-Management server (not gowbem) as DSP0227's association filter, which cannot carry %s", what, why)}
	}
	if len(cannot) > 0 {
		return refuse("the WHERE clause " + strings.Join(cannot, ", "))
	}
	if f.keysOnly && si.gowbem {
		return nil, nil
	}
	if pp, err := cim.ParsePath(path); err == nil && pp.Namespace != "" && !strings.EqualFold(cim.NormalNamespace(pp.Namespace), cim.NormalNamespace(op.Namespace)) {
		return refuse("a source object in another namespace (" + path + "); the filter's object is in the operation's namespace")
	}
	top := *op
	top.Path = path
	p, err := c.target(ctx, &top)
	if err != nil {
		return nil, err
	}
	if p.IsClass() {
		return refuse("a class as the source object (" + path + "); it names an instance")
	}
	f.path = p
	return f, nil
}

func flagClauses(classDefsOnly, schemaOnly bool) []string {
	var out []string
	if classDefsOnly {
		out = append(out, "ClassDefsOnly")
	}
	if schemaOnly {
		out = append(out, "SchemaOnly")
	}
	return out
}

// write writes the filter, wsman:Filter with the association dialect.
func (f *assocFilter) write(w *bytes.Buffer, ns string) {
	w.WriteString(`<wsman:Filter Dialect="` + DialectAssociation + `">`)
	kind := "wsmb:AssociatedInstances"
	if f.refs {
		kind = "wsmb:AssociationInstances"
	}
	w.WriteString("<" + kind + "><wsmb:Object><wsa:Address>" + anonymous + "</wsa:Address><wsa:ReferenceParameters><wsman:ResourceURI>")
	escapeText(w, resourceURI(ns, f.path.Class))
	w.WriteString("</wsman:ResourceURI><wsman:SelectorSet>")
	iw := newInstWriter(uriMapper{ns: ns}, "")
	iw.writeSelectors(w, f.path, ns)
	w.WriteString("</wsman:SelectorSet></wsa:ReferenceParameters></wsmb:Object>")
	elem := func(name, v string) {
		if v != "" {
			w.WriteString("<wsmb:" + name + ">")
			escapeText(w, v)
			w.WriteString("</wsmb:" + name + ">")
		}
	}
	// DSP0227's order: AssociatedInstances has Object, AssociationClassName,
	// Role, ResultClassName, ResultRole; AssociationInstances Object,
	// ResultClassName, Role.
	if f.refs {
		elem("ResultClassName", f.resultClass)
		elem("Role", f.role)
	} else {
		elem("AssociationClassName", f.assocClass)
		elem("Role", f.role)
		elem("ResultClassName", f.resultClass)
		elem("ResultRole", f.resultRole)
	}
	w.WriteString("</" + kind + "></wsman:Filter>")
}
