package cimxml

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wql"
)

// class returns the complete definition of a class (its Derivation found
// from its superclasses), from the cache unless fresh. The class is the
// cache's: a caller gets a clone.
func (c *Client) class(ctx context.Context, ns, name string, fresh bool) (*cim.Class, error) {
	if !fresh {
		if cl, ok := c.classes.Get(ns, name); ok {
			return cl, nil
		}
	}
	var got *cim.Class
	_, err := c.call(ctx, &rpc{method: "GetClass", ns: ns, intrinsic: true, params: func(w *bytes.Buffer) {
		iparamClassName(w, "ClassName", name)
		iparamBool(w, "LocalOnly", false)
		iparamBool(w, "IncludeQualifiers", true)
		iparamBool(w, "IncludeClassOrigin", true)
	}}, func(it *item) error {
		n, err := it.node()
		if err != nil {
			return err
		}
		got, err = (&decoder{ns: ns}).class(n)
		return err
	})
	if err != nil {
		return nil, err
	}
	if got == nil {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Description: "the server sent no class for GetClass " + name}
	}
	return c.complete(ctx, ns, got, nil)
}

// complete fills a received class's Derivation from its superclasses
// (from known, classes read in the same response, or fetched) and caches
// it.
func (c *Client) complete(ctx context.Context, ns string, cl *cim.Class, known map[string]*cim.Class) (*cim.Class, error) {
	if cl.Superclass != "" {
		parent := known[strings.ToLower(cl.Superclass)]
		if parent == nil {
			var err error
			if parent, err = c.class(ctx, ns, cl.Superclass, false); err != nil {
				return nil, err
			}
		}
		cl.Derivation = append([]string{parent.Name}, parent.Derivation...)
	}
	cl = cl.Located(c.serverName(), ns)
	c.classes.Put(ns, cl)
	return cl, nil
}

// forgetClasses empties the class cache after a schema write.
func (c *Client) forgetClasses() { c.classes.Forget() }

// objReader reads the instances of one operation, remembering the last
// class (a batch is usually of one class) and the projections of a query.
type objReader struct {
	c   *Client
	ctx context.Context
	ns  string
	dec *decoder

	last            *cim.Class
	proj, projOf    *cim.Class
	projKey         string
	known           map[string]*cim.Class // classes read in this enumeration
	expectProjected bool
	system          []string // the system properties a query's SELECT list names
}

// selectedSystem returns the system properties a WQL data query's SELECT
// list names (nil for SELECT * and other queries): the projection the
// client makes of each row reports them, as in-process.
func selectedSystem(lang, text string) []string {
	if !strings.EqualFold(lang, "WQL") {
		return nil
	}
	q, err := wql.Parse(text)
	sq, ok := q.(*wql.SelectQuery)
	if err != nil || !ok || sq.All {
		return nil
	}
	var out []string
	for _, p := range sq.Props {
		if cim.IsSystemProperty(p.Path[0]) {
			out = append(out, p.Path[0])
		}
	}
	return out
}

func (c *Client) objReader(ctx context.Context, ns string) *objReader {
	o := &objReader{c: c, ctx: ctx, ns: ns}
	o.dec = &decoder{ns: ns, lookup: func(name string) (*cim.Class, error) { return c.class(ctx, ns, name, false) }}
	return o
}

// classFor returns the class of a received instance (the last one is kept:
// a batch is usually of one class).
func (o *objReader) classFor(name string) (*cim.Class, error) {
	if cl := o.last; cl != nil && cim.EqualFold(cl.Name, name) {
		return cl, nil
	}
	cl, err := o.c.class(o.ctx, o.ns, name, false)
	if err != nil {
		return nil, err
	}
	o.last = cl
	return cl, nil
}

// instance reads INSTANCE, typed by its class. When the element holds only
// some properties (a query's projection), the instance is of the projected
// class, as in-process.
func (o *objReader) instance(n *node) (*cim.Instance, error) {
	name, err := reqAttr(n, "CLASSNAME")
	if err != nil {
		return nil, err
	}
	cl, err := o.classFor(name)
	if err != nil {
		return nil, err
	}
	inst, seen, err := o.dec.instance(n, cl)
	if errors.Is(err, cim.ErrInvalidProperty) {
		// The class may have changed since it was cached.
		if cl, err = o.c.class(o.ctx, o.ns, name, true); err != nil {
			return nil, err
		}
		o.last = cl
		inst, seen, err = o.dec.instance(n, cl)
	}
	if err != nil {
		return nil, err
	}
	return o.finish(cl, inst, seen), nil
}

// finish makes a received instance a projection when the query's SELECT
// list asked for one, and places it on the server.
func (o *objReader) finish(cl *cim.Class, inst *cim.Instance, seen []bool) *cim.Instance {
	count := 0
	for _, ok := range seen {
		if ok {
			count++
		}
	}
	if o.expectProjected && (count < len(cl.Properties) || len(o.system) > 0) {
		key := make([]byte, len(seen))
		for i, ok := range seen {
			if ok {
				key[i] = 1
			}
		}
		if o.proj == nil || o.projOf != cl || o.projKey != string(key) {
			names := make([]string, 0, count+len(o.system))
			for i, ok := range seen {
				if ok {
					names = append(names, cl.Properties[i].Name)
				}
			}
			names = append(names, o.system...)
			o.proj, o.projOf, o.projKey = cl.Project(names, false), cl, string(key)
		}
		inst = inst.Project(o.proj)
	}
	inst.SetLocation(o.c.serverName(), o.ns)
	return inst
}

// class reads CLASS of an enumeration, for the caller: a clone of what the
// cache keeps.
func (o *objReader) class(n *node) (*cim.Class, error) {
	cl, err := o.dec.class(n)
	if err != nil {
		return nil, err
	}
	if o.known == nil {
		o.known = map[string]*cim.Class{}
	}
	if cl, err = o.c.complete(o.ctx, o.ns, cl, o.known); err != nil {
		return nil, err
	}
	o.known[strings.ToLower(cl.Name)] = cl
	return cl.Clone(), nil
}

// read reads one item of a response: an instance (with or without its
// path) straight from its text when it has the common shape, anything else
// through its tree.
func (o *objReader) read(it *item) (cim.Object, error) {
	if inst, end, ok := o.fast(it.raw); ok && end == len(it.raw) {
		return inst, nil
	}
	n, err := it.node()
	if err != nil {
		return nil, err
	}
	return o.item(n)
}

// fast reads an INSTANCE, VALUE.INSTANCEWITHPATH, VALUE.NAMEDINSTANCE or
// VALUE.OBJECTWITHPATH of an instance at the start of s without a tree,
// and reports where it ends; ok false when the text is of another shape
// or s ends first.
func (o *objReader) fast(s string) (*cim.Instance, int, bool) {
	off, closeTag := 0, ""
	for _, w := range [...]string{"VALUE.INSTANCEWITHPATH", "VALUE.NAMEDINSTANCE", "VALUE.OBJECTWITHPATH"} {
		if len(s) > len(w)+2 && s[0] == '<' && s[1+len(w)] == '>' && s[1:1+len(w)] == w {
			// Skip the path (the instance carries its keys): the
			// INSTANCE comes next.
			p := newParser(s)
			p.Pos = len(w) + 2
			p.SkipSpace()
			if p.SkipElement() != nil {
				return nil, 0, false
			}
			p.SkipSpace()
			off, closeTag = p.Pos, "</"+w+">"
			break
		}
	}
	cl, inst, seen, end, ok := fastInstance(s[off:], o.classFor)
	if !ok {
		return nil, 0, false
	}
	pos := off + end
	for pos < len(s) && isSpace(s[pos]) {
		pos++
	}
	if !strings.HasPrefix(s[pos:], closeTag) {
		return nil, 0, false
	}
	return o.finish(cl, inst, seen), pos + len(closeTag), true
}

// fastWriter returns the rpc.fast of an enumeration: it reads an instance
// straight from the response and hands it to write.
func (o *objReader) fastWriter(write func(cim.Object) error) func(s string) (int, bool, error) {
	return func(s string) (int, bool, error) {
		inst, n, ok := o.fast(s)
		if !ok {
			return 0, false, nil
		}
		return n, true, write(inst)
	}
}

// item reads one item of a response: an object, with or without its path.
func (o *objReader) item(n *node) (cim.Object, error) {
	switch n.Name {
	case "INSTANCE":
		return o.instance(n)
	case "CLASS":
		return o.class(n)
	case "VALUE.NAMEDINSTANCE", "VALUE.INSTANCEWITHPATH", "VALUE.OBJECTWITHPATH", "VALUE.OBJECTWITHLOCALPATH", "VALUE.NAMEDOBJECT":
		if len(n.Kids) == 0 {
			return nil, badXML(n, "<%s> is empty", n.Name)
		}
		return o.item(n.Kids[len(n.Kids)-1])
	}
	return nil, badXML(n, "<%s> is not an object", n.Name)
}

// target parses an operation's path, checks its namespace and names every
// key (resolving a bare Class=value with the class).
func (c *Client) target(ctx context.Context, op *wbem.Op, ns string) (cim.ObjectPath, error) {
	p, err := cim.ParsePath(op.Path)
	if err != nil {
		return p, err
	}
	if p.Namespace != "" && !cim.EqualFold(cim.NormalNamespace(p.Namespace), ns) {
		return p, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: op.Path,
			Description: fmt.Sprintf("path %s is in namespace %s, not in %s of these services", op.Path, p.Namespace, ns)}
	}
	p.Namespace, p.Server = "", ""
	for _, k := range p.Keys {
		if k.Name == "" {
			cl, err := c.class(ctx, ns, p.Class, false)
			if err != nil {
				return p, err
			}
			return p.Resolve(cl)
		}
	}
	return p, nil
}

// learn makes sure the client has heard from the server once, so it knows
// whether the server speaks gowbem's extensions.
func (c *Client) learn(ctx context.Context, ns string) error {
	if c.heard.Load() {
		return nil
	}
	_, err := c.call(ctx, &rpc{method: "EnumerateClassNames", ns: ns, intrinsic: true}, nil)
	return err
}

// Do implements wbem.Backend.
func (c *Client) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	ns := cim.NormalNamespace(op.Namespace)
	switch op.Kind {
	case wbem.OpOpenNamespace:
		rel := strings.ReplaceAll(op.Path, "/", `\`)
		if rel == "" || strings.HasPrefix(rel, `\`) || strings.HasSuffix(rel, `\`) {
			return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: op.Path, Description: "OpenNamespace needs a relative namespace name, not " + strconvQuote(op.Path)}
		}
		target := ns + `\` + rel
		// CIM-XML has no OpenNamespace: a cheap call in the namespace
		// tells whether it exists.
		if _, err := c.call(ctx, &rpc{method: "EnumerateClassNames", ns: target, intrinsic: true}, nil); err != nil {
			return err
		}
		w.SetResultString(target)
		return nil
	case wbem.OpGetObject:
		if op.Path == "" {
			return w.Write(&cim.Class{})
		}
		p, err := c.target(ctx, op, ns)
		if err != nil {
			return err
		}
		if p.IsClass() {
			cl, err := c.class(ctx, ns, p.Class, true)
			if err != nil {
				return err
			}
			return w.Write(cl.Clone())
		}
		or := c.objReader(ctx, ns)
		var inst cim.Object
		_, err = c.call(ctx, &rpc{method: "GetInstance", ns: ns, intrinsic: true, params: func(b *bytes.Buffer) {
			iparam(b, "InstanceName", func(b *bytes.Buffer) { c.encoder(ns).instanceName(b, p) })
			iparamBool(b, "LocalOnly", false)
			iparamBool(b, "IncludeQualifiers", false)
		}}, func(it *item) error {
			var err error
			inst, err = or.read(it)
			return err
		})
		if err != nil {
			return err
		}
		if inst == nil {
			return cim.Errorf(cim.WBEM_E_INVALID_PARAMETER, "the server sent no instance for GetInstance %s", p)
		}
		return w.Write(inst)
	case wbem.OpPutClass:
		cl, ok := op.Object.(*cim.Class)
		if !ok || cl == nil {
			return cim.Errorf(cim.WBEM_E_INVALID_OBJECT, "PutClass needs a class")
		}
		defer c.forgetClasses()
		return c.putClass(ctx, ns, cl, op.Flags&^wbem.WBEM_FLAG_RETURN_IMMEDIATELY)
	case wbem.OpDeleteClass:
		defer c.forgetClasses()
		_, err := c.call(ctx, &rpc{method: "DeleteClass", ns: ns, intrinsic: true, params: func(b *bytes.Buffer) {
			iparamClassName(b, "ClassName", op.Path)
		}}, nil)
		return err
	case wbem.OpCreateClassEnum:
		or := c.objReader(ctx, ns)
		_, err := c.call(ctx, &rpc{method: "EnumerateClasses", ns: ns, intrinsic: true, params: func(b *bytes.Buffer) {
			if op.Path != "" {
				iparamClassName(b, "ClassName", op.Path)
			}
			iparamBool(b, "DeepInheritance", op.Flags&wbem.WBEM_FLAG_SHALLOW == 0)
			iparamBool(b, "LocalOnly", false)
			iparamBool(b, "IncludeQualifiers", true)
			iparamBool(b, "IncludeClassOrigin", true)
		}}, func(it *item) error {
			n, err := it.node()
			if err != nil {
				return err
			}
			cl, err := or.class(n)
			if err != nil {
				return err
			}
			return w.Write(cl)
		})
		return err
	case wbem.OpPutInstance:
		return c.putInstance(ctx, ns, op, w)
	case wbem.OpDeleteInstance:
		p, err := c.target(ctx, op, ns)
		if err != nil {
			return err
		}
		_, err = c.call(ctx, &rpc{method: "DeleteInstance", ns: ns, intrinsic: true, params: func(b *bytes.Buffer) {
			iparam(b, "InstanceName", func(b *bytes.Buffer) { c.encoder(ns).instanceName(b, p) })
		}}, nil)
		return err
	case wbem.OpCreateInstanceEnum:
		return c.enumerateInstances(ctx, ns, op, w)
	case wbem.OpExecQuery:
		return c.execQuery(ctx, ns, op, w)
	case wbem.OpExecNotificationQuery:
		return c.subscribe(ctx, ns, op, w)
	case wbem.OpExecMethod:
		return c.execMethod(ctx, ns, op, w)
	case wbem.OpGetQualifier, wbem.OpPutQualifier, wbem.OpDeleteQualifier, wbem.OpEnumQualifiers:
		return c.qualifierOp(ctx, ns, op, w)
	}
	return cim.Errorf(cim.WBEM_E_NOT_SUPPORTED, "operation %s is not supported over CIM-XML", op.Kind)
}

func strconvQuote(s string) string { return fmt.Sprintf("%q", s) }

// putClass maps WMI's PutClass flags onto CreateClass and ModifyClass: to
// a gowbem server with the flags themselves, to another server as create,
// modify, or modify-else-create.
func (c *Client) putClass(ctx context.Context, ns string, cl *cim.Class, flags wbem.Flag) error {
	if err := c.learn(ctx, ns); err != nil {
		return err
	}
	send := func(method string, ext bool) error {
		param := "ModifiedClass"
		if method == "CreateClass" {
			param = "NewClass"
		}
		_, err := c.call(ctx, &rpc{method: method, ns: ns, intrinsic: true, params: func(b *bytes.Buffer) {
			iparam(b, param, func(b *bytes.Buffer) {
				c.encoder(ns).class(b, cl, classOpts{qualifiers: true, origin: true})
			})
			if ext {
				iparamString(b, FlagsParam, fmt.Sprint(uint32(flags)))
			}
		}}, nil)
		return err
	}
	switch {
	case c.ext.Load():
		return send("CreateClass", true)
	case flags&wbem.WBEM_FLAG_CREATE_ONLY != 0:
		return send("CreateClass", false)
	case flags&wbem.WBEM_FLAG_UPDATE_ONLY != 0:
		return send("ModifyClass", false)
	}
	err := send("ModifyClass", false)
	if errors.Is(err, cim.ErrNotFound) {
		err = send("CreateClass", false)
	}
	return err
}

func (c *Client) putInstance(ctx context.Context, ns string, op *wbem.Op, w wbem.ResultWriter) error {
	inst, ok := op.Object.(*cim.Instance)
	if !ok || inst == nil {
		return cim.Errorf(cim.WBEM_E_INVALID_OBJECT, "PutInstance needs an instance, not a class")
	}
	if err := c.learn(ctx, ns); err != nil {
		return err
	}
	flags := op.Flags & (wbem.WBEM_FLAG_CREATE_ONLY | wbem.WBEM_FLAG_UPDATE_ONLY)
	enc := c.encoder(ns)
	create := func(ext bool) error {
		res := ""
		_, err := c.call(ctx, &rpc{method: "CreateInstance", ns: ns, intrinsic: true, params: func(b *bytes.Buffer) {
			iparam(b, "NewInstance", func(b *bytes.Buffer) { enc.instance(b, inst, instOpts{}) })
			if ext {
				iparamString(b, FlagsParam, fmt.Sprint(uint32(flags)))
			}
		}}, func(it *item) error {
			n, err := it.node()
			if err != nil {
				return err
			}
			p, err := (&decoder{ns: ns}).objectPath(n)
			if err != nil {
				return err
			}
			p.Server, p.Namespace = "", ""
			res = p.String()
			return nil
		})
		if err == nil {
			w.SetResultString(res)
		}
		return err
	}
	modify := func() error {
		p := inst.ObjectPath()
		p.Server, p.Namespace = "", ""
		_, err := c.call(ctx, &rpc{method: "ModifyInstance", ns: ns, intrinsic: true, params: func(b *bytes.Buffer) {
			iparam(b, "ModifiedInstance", func(b *bytes.Buffer) {
				b.WriteString("<VALUE.NAMEDINSTANCE>")
				enc.instanceName(b, p)
				enc.instance(b, inst, instOpts{})
				b.WriteString("</VALUE.NAMEDINSTANCE>")
			})
		}}, nil)
		if err == nil {
			w.SetResultString(p.RelPath())
		}
		return err
	}
	switch {
	case c.ext.Load():
		return create(true)
	case flags == wbem.WBEM_FLAG_CREATE_ONLY:
		return create(false)
	case flags == wbem.WBEM_FLAG_UPDATE_ONLY:
		return modify()
	}
	err := modify()
	if errors.Is(err, cim.ErrNotFound) {
		err = create(false)
	}
	return err
}

// isSchemaQuery reports whether a WQL query yields classes, which only
// ExecQuery (not OpenQueryInstances) returns.
func isSchemaQuery(lang, text string) bool {
	if !strings.EqualFold(lang, "WQL") {
		return false
	}
	q, err := wql.Parse(text)
	if err != nil {
		return false
	}
	switch q := q.(type) {
	case *wql.SchemaQuery:
		return true
	case *wql.AssociatorsQuery:
		return q.ClassDefsOnly || q.SchemaOnly
	case *wql.ReferencesQuery:
		return q.ClassDefsOnly || q.SchemaOnly
	}
	return false
}

func (c *Client) execMethod(ctx context.Context, ns string, op *wbem.Op, w wbem.ResultWriter) error {
	p, err := c.target(ctx, op, ns)
	if err != nil {
		return err
	}
	enc := c.encoder(ns)
	object := strings.ReplaceAll(ns, `\`, "/") + ":" + p.String()
	res, err := c.call(ctx, &rpc{method: op.Method, ns: ns, object: object,
		target: func(b *bytes.Buffer) {
			if p.IsClass() {
				b.WriteString("<LOCALCLASSPATH>")
				enc.localNamespace(b, ns)
				b.WriteString(`<CLASSNAME NAME="`)
				escapeAttr(b, p.Class)
				b.WriteString(`"/></LOCALCLASSPATH>`)
				return
			}
			b.WriteString("<LOCALINSTANCEPATH>")
			enc.localNamespace(b, ns)
			enc.instanceName(b, p)
			b.WriteString("</LOCALINSTANCEPATH>")
		},
		params: func(b *bytes.Buffer) {
			if in := op.In; in != nil {
				ic := in.Class()
				for i := range ic.Properties {
					ip := &ic.Properties[i]
					if v := in.At(i); !v.IsNull() {
						writeParamValue(enc, b, ip.Name, v.Type(), ip.RefClass, v)
					}
				}
			}
		}}, nil)
	if err != nil {
		return err
	}
	// The out-parameters are typed by the method's declaration.
	cl, err := c.class(ctx, ns, p.Class, false)
	if err != nil {
		return err
	}
	m, ok := cl.Method(op.Method)
	if !ok {
		if cl, err = c.class(ctx, ns, p.Class, true); err != nil {
			return err
		}
		if m, ok = cl.Method(op.Method); !ok {
			return &cim.Error{Status: cim.WBEM_E_INVALID_METHOD, Parameter: op.Method, Description: "class " + cl.Name + " has no method " + op.Method}
		}
	}
	oc, err := paramsClass(m, true)
	if err != nil {
		return err
	}
	out := oc.NewInstance()
	dec := &decoder{ns: ns, lookup: func(name string) (*cim.Class, error) { return c.class(ctx, ns, name, false) }}
	set := func(name string, n *node) error {
		i := oc.PropertyIndex(name)
		if i < 0 || len(n.Kids) == 0 {
			return nil
		}
		pp := &oc.Properties[i]
		em, err := embedding(n, pp.Type, pp.Qualifiers, eoAttr(n))
		if err != nil {
			return err
		}
		v, err := dec.value(n.Kids[0], pp.Type, em)
		if err != nil {
			return err
		}
		out.SetAt(i, v)
		return nil
	}
	if res.ret != nil {
		if err := set("ReturnValue", res.ret); err != nil {
			return err
		}
	}
	for name, n := range res.params {
		if err := set(name, n); err != nil {
			return err
		}
	}
	return w.Write(out)
}
