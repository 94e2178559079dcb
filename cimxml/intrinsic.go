package cimxml

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// call is one request being served.
type call struct {
	s    *Server
	req  *request
	user string
	resp *response
	ctx  context.Context
	svc  *wbem.Services // bounded by ctx (internal/deadline)
	raw  *wbem.Services // for enumerations, which their reader bounds
	enc  *encoder
	dec  *decoder

	classes map[string]*cim.Class
}

const semisync = wbem.WBEM_FLAG_RETURN_IMMEDIATELY | wbem.WBEM_FLAG_FORWARD_ONLY

// lookupClass returns a class of the request's namespace (remembered for
// the request): WBEM_E_INVALID_CLASS when there is none.
func (c *call) lookupClass(name string) (*cim.Class, error) {
	key := strings.ToLower(name)
	if cl := c.classes[key]; cl != nil {
		return cl, nil
	}
	if !validCIMName(name) {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: name, Description: fmt.Sprintf("%q is not a class name", name)}
	}
	cr, err := c.svc.GetObject(c.ctx, name, 0)
	if err != nil {
		if e := cim.AsError(err); e.Status == cim.WBEM_E_NOT_FOUND {
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: name, Operation: e.Operation, Description: e.Description}
		}
		return nil, err
	}
	obj, err := cr.ResultObject(0)
	if err != nil {
		return nil, err
	}
	cl, ok := obj.(*cim.Class)
	if !ok {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: name, Description: name + " is not a class"}
	}
	if c.classes == nil {
		c.classes = map[string]*cim.Class{}
	}
	c.classes[key] = cl
	return cl, nil
}

// intrinsicParams lists the parameters of each intrinsic method (DSP0200
// §5.3.2 and the pull operations of DSP0200 1.3).
var intrinsicParams = map[string][]string{
	"GetClass":                    {"ClassName", "LocalOnly", "IncludeQualifiers", "IncludeClassOrigin", "PropertyList"},
	"EnumerateClasses":            {"ClassName", "DeepInheritance", "LocalOnly", "IncludeQualifiers", "IncludeClassOrigin"},
	"EnumerateClassNames":         {"ClassName", "DeepInheritance"},
	"GetInstance":                 {"InstanceName", "LocalOnly", "IncludeQualifiers", "IncludeClassOrigin", "PropertyList"},
	"EnumerateInstances":          {"ClassName", "LocalOnly", "DeepInheritance", "IncludeQualifiers", "IncludeClassOrigin", "PropertyList"},
	"EnumerateInstanceNames":      {"ClassName"},
	"CreateInstance":              {"NewInstance"},
	"ModifyInstance":              {"ModifiedInstance", "IncludeQualifiers", "PropertyList"},
	"DeleteInstance":              {"InstanceName"},
	"CreateClass":                 {"NewClass"},
	"ModifyClass":                 {"ModifiedClass"},
	"DeleteClass":                 {"ClassName"},
	"Associators":                 {"ObjectName", "AssocClass", "ResultClass", "Role", "ResultRole", "IncludeQualifiers", "IncludeClassOrigin", "PropertyList"},
	"AssociatorNames":             {"ObjectName", "AssocClass", "ResultClass", "Role", "ResultRole"},
	"References":                  {"ObjectName", "ResultClass", "Role", "IncludeQualifiers", "IncludeClassOrigin", "PropertyList"},
	"ReferenceNames":              {"ObjectName", "ResultClass", "Role"},
	"ExecQuery":                   {"QueryLanguage", "Query"},
	"GetProperty":                 {"InstanceName", "PropertyName"},
	"SetProperty":                 {"InstanceName", "PropertyName", "NewValue"},
	"GetQualifier":                {"QualifierName"},
	"SetQualifier":                {"QualifierDeclaration"},
	"DeleteQualifier":             {"QualifierName"},
	"EnumerateQualifiers":         {},
	"OpenEnumerateInstances":      {"ClassName", "DeepInheritance", "IncludeClassOrigin", "PropertyList", "FilterQueryLanguage", "FilterQuery", "OperationTimeout", "ContinueOnError", "MaxObjectCount"},
	"OpenEnumerateInstancePaths":  {"ClassName", "FilterQueryLanguage", "FilterQuery", "OperationTimeout", "ContinueOnError", "MaxObjectCount"},
	"OpenReferenceInstances":      {"InstanceName", "ResultClass", "Role", "IncludeClassOrigin", "PropertyList", "FilterQueryLanguage", "FilterQuery", "OperationTimeout", "ContinueOnError", "MaxObjectCount"},
	"OpenReferenceInstancePaths":  {"InstanceName", "ResultClass", "Role", "FilterQueryLanguage", "FilterQuery", "OperationTimeout", "ContinueOnError", "MaxObjectCount"},
	"OpenAssociatorInstances":     {"InstanceName", "AssocClass", "ResultClass", "Role", "ResultRole", "IncludeClassOrigin", "PropertyList", "FilterQueryLanguage", "FilterQuery", "OperationTimeout", "ContinueOnError", "MaxObjectCount"},
	"OpenAssociatorInstancePaths": {"InstanceName", "AssocClass", "ResultClass", "Role", "ResultRole", "FilterQueryLanguage", "FilterQuery", "OperationTimeout", "ContinueOnError", "MaxObjectCount"},
	"OpenQueryInstances":          {"FilterQuery", "FilterQueryLanguage", "ReturnQueryResultClass", "OperationTimeout", "ContinueOnError", "MaxObjectCount"},
	"PullInstancesWithPath":       {"EnumerationContext", "MaxObjectCount"},
	"PullInstancePaths":           {"EnumerationContext", "MaxObjectCount"},
	"PullInstances":               {"EnumerationContext", "MaxObjectCount"},
	"CloseEnumeration":            {"EnumerationContext"},
	"EnumerationCount":            {"EnumerationContext"},
}

// isEnumeration reports whether an intrinsic method enumerates: its
// answer streams for as long as its objects come (or, for the pull
// operations, its context lives), so Options.CallTimeout does not bound it.
func isEnumeration(method string) bool {
	m, _ := canonical(method)
	switch m {
	case "EnumerateClasses", "EnumerateClassNames", "EnumerateInstances", "EnumerateInstanceNames",
		"Associators", "AssociatorNames", "References", "ReferenceNames", "ExecQuery", "EnumerateQualifiers":
		return true
	}
	return strings.HasPrefix(m, "Open") || strings.HasPrefix(m, "Pull") || m == "CloseEnumeration" || m == "EnumerationCount"
}

// canonical returns DSP0200's spelling of an intrinsic method's name.
func canonical(method string) (string, bool) {
	for m := range intrinsicParams {
		if strings.EqualFold(m, method) {
			return m, true
		}
	}
	return "", false
}

func (s *Server) dispatch(c *call) {
	defer func() {
		if v := recover(); v != nil {
			if v == http.ErrAbortHandler {
				panic(v)
			}
			c.resp.fail(&cim.Error{Status: cim.WBEM_E_FAILED, Operation: c.req.method, Description: fmt.Sprintf("internal error: %v", v)})
		}
	}()
	if !c.req.intrinsic || !isEnumeration(c.req.method) {
		ctx, cancel := context.WithTimeout(c.ctx, s.opts.CallTimeout)
		defer cancel()
		c.ctx = ctx
	}
	var err error
	if c.req.intrinsic {
		err = c.intrinsic()
	} else {
		err = c.extrinsic()
	}
	if errors.Is(err, context.DeadlineExceeded) && c.ctx.Err() != nil {
		err = &cim.Error{Status: cim.WBEM_E_TIMED_OUT, Operation: c.req.method, Err: err,
			Description: fmt.Sprintf("%s did not finish within the call timeout of %v", c.req.method, s.opts.CallTimeout)}
	}
	if err != nil {
		if e, _ := errorCode(err); e.Operation == "" {
			e.Operation = c.req.method
		}
		c.resp.fail(err)
		return
	}
	c.resp.end()
}

func (c *call) intrinsic() error {
	method, ok := canonical(c.req.method)
	if !ok {
		return &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Parameter: c.req.method,
			Description: "intrinsic method " + c.req.method + " is not supported"}
	}
	c.req.method = method
	c.resp.method = method
	ps, err := readParams(c.req.call, method, intrinsicParams[method]...)
	if err != nil {
		return err
	}
	if handled, err := c.subscriptionWrite(method, ps); handled {
		return err
	}
	if handled, err := c.subscriptionCall(method, ps); handled {
		return err
	}
	switch method {
	case "GetClass":
		return c.getClass(ps)
	case "EnumerateClasses", "EnumerateClassNames":
		return c.enumerateClasses(ps, method == "EnumerateClassNames")
	case "GetInstance":
		return c.getInstance(ps)
	case "EnumerateInstances", "EnumerateInstanceNames":
		return c.enumerateInstances(ps, method == "EnumerateInstanceNames")
	case "CreateInstance":
		return c.createInstance(ps)
	case "ModifyInstance":
		return c.modifyInstance(ps)
	case "DeleteInstance":
		p, err := ps.instanceName(c.dec, "InstanceName")
		if err != nil {
			return err
		}
		_, err = c.svc.DeleteInstance(c.ctx, p.String(), 0)
		return err
	case "CreateClass", "ModifyClass":
		return c.putClass(ps, method == "CreateClass")
	case "DeleteClass":
		name, err := ps.className("ClassName", true)
		if err != nil {
			return err
		}
		_, err = c.svc.DeleteClass(c.ctx, name, 0)
		return err
	case "Associators", "AssociatorNames", "References", "ReferenceNames":
		return c.associations(ps, method)
	case "ExecQuery":
		return c.execQuery(ps)
	case "GetProperty":
		return c.getProperty(ps)
	case "SetProperty":
		return c.setProperty(ps)
	case "GetQualifier", "SetQualifier", "DeleteQualifier", "EnumerateQualifiers":
		return c.qualifierCall(ps, method)
	case "OpenEnumerateInstances", "OpenEnumerateInstancePaths", "OpenReferenceInstances", "OpenReferenceInstancePaths",
		"OpenAssociatorInstances", "OpenAssociatorInstancePaths", "OpenQueryInstances":
		return c.open(ps, method)
	case "PullInstancesWithPath", "PullInstancePaths", "PullInstances":
		return c.pull(ps, method)
	case "CloseEnumeration":
		return c.closeEnumeration(ps)
	case "EnumerationCount":
		return c.enumerationCount(ps)
	}
	return &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Description: "intrinsic method " + method + " is not supported"}
}

// flags reads the "flags" extension's parameter, def without it.
func flagsParam(ps *params, def wbem.Flag) (wbem.Flag, error) {
	n, err := ps.uint32p(FlagsParam)
	if err != nil || n == nil {
		return def, err
	}
	return wbem.Flag(*n), nil
}

// returnValue opens IRETURNVALUE.
func (c *call) returnValue() {
	c.resp.begin()
	c.resp.buf.WriteString("<IRETURNVALUE>")
}

func (c *call) endReturnValue() { c.resp.buf.WriteString("</IRETURNVALUE>") }

// streamWait is how long the streaming of a plain enumeration waits for a
// full batch before it sends what it has: a slow provider's objects reach
// the client within about that time.
const streamWait = 200 * time.Millisecond

// stream writes an enumeration's objects into IRETURNVALUE as they come.
// A failure before the first object is an ERROR response; a later one ends
// the streamed response (see response.fail).
func (c *call) stream(e *wbem.Enumerator, write func(obj cim.Object) error) error {
	defer e.Close()
	buf := make([]cim.Object, 256)
	started := false
	for {
		n, err := e.NextContext(c.ctx, streamWait, buf)
		if n > 0 && !started {
			c.returnValue()
			started = true
		}
		for i := range n {
			werr := write(buf[i])
			buf[i] = nil
			if werr != nil {
				return werr
			}
			if ferr := c.resp.maybeFlush(false); ferr != nil {
				return &cim.Error{Status: cim.WBEM_E_CALL_CANCELLED, Description: "the client went away"}
			}
		}
		switch err {
		case nil:
		case wbem.ErrTimedOut:
			if n > 0 {
				if ferr := c.resp.maybeFlush(true); ferr != nil {
					return &cim.Error{Status: cim.WBEM_E_CALL_CANCELLED, Description: "the client went away"}
				}
			}
		case io.EOF:
			if !started {
				c.returnValue()
			}
			c.endReturnValue()
			return nil
		default:
			return err
		}
	}
}

func (c *call) getClass(ps *params) error {
	name, err := ps.className("ClassName", true)
	if err != nil {
		return err
	}
	var opts classOpts
	if opts.localOnly, err = ps.boolean("LocalOnly", true); err != nil {
		return err
	}
	if opts.qualifiers, err = ps.boolean("IncludeQualifiers", true); err != nil {
		return err
	}
	if opts.origin, err = ps.boolean("IncludeClassOrigin", false); err != nil {
		return err
	}
	if opts.props, err = ps.propertyList("PropertyList"); err != nil {
		return err
	}
	cr, err := c.svc.GetObject(c.ctx, name, 0)
	if err != nil {
		return err
	}
	obj, _ := cr.ResultObject(0)
	cl, ok := obj.(*cim.Class)
	if !ok {
		return &cim.Error{Status: cim.WBEM_E_INVALID_CLASS, Parameter: name, Description: name + " is not a class"}
	}
	c.returnValue()
	c.enc.class(c.resp.buf, cl, opts)
	c.endReturnValue()
	return nil
}

func (c *call) enumerateClasses(ps *params, names bool) error {
	name, err := ps.className("ClassName", false)
	if err != nil {
		return err
	}
	deep, err := ps.boolean("DeepInheritance", false)
	if err != nil {
		return err
	}
	var opts classOpts
	if !names {
		if opts.localOnly, err = ps.boolean("LocalOnly", true); err != nil {
			return err
		}
		if opts.qualifiers, err = ps.boolean("IncludeQualifiers", true); err != nil {
			return err
		}
		if opts.origin, err = ps.boolean("IncludeClassOrigin", false); err != nil {
			return err
		}
	}
	flags := semisync | wbem.WBEM_FLAG_SHALLOW
	if deep {
		flags = semisync | wbem.WBEM_FLAG_DEEP
	}
	e, err := c.raw.CreateClassEnum(c.ctx, name, flags)
	if err != nil {
		return err
	}
	w := c.resp.buf
	return c.stream(e, func(obj cim.Object) error {
		cl, ok := obj.(*cim.Class)
		if !ok {
			return nil
		}
		if names {
			w.WriteString(`<CLASSNAME NAME="`)
			escapeAttr(w, cl.Name)
			w.WriteString(`"/>`)
			return nil
		}
		c.enc.class(w, cl, opts)
		return nil
	})
}

// instanceOpts reads IncludeClassOrigin and PropertyList (and, for a
// request that is not deep, limits the properties to those of class).
func (c *call) instanceOpts(ps *params, class *cim.Class) (instOpts, error) {
	var opts instOpts
	var err error
	if ps.has("IncludeClassOrigin") {
		if opts.origin, err = ps.boolean("IncludeClassOrigin", false); err != nil {
			return opts, err
		}
	}
	if ps.has("IncludeQualifiers") {
		if opts.qualifiers, err = ps.boolean("IncludeQualifiers", false); err != nil {
			return opts, err
		}
	}
	props, err := ps.propertyList("PropertyList")
	if err != nil {
		return opts, err
	}
	switch {
	case props != nil && class != nil:
		opts.keep = func(p *cim.Property) bool { return props[strings.ToLower(p.Name)] && class.PropertyIndex(p.Name) >= 0 }
	case props != nil:
		opts.keep = func(p *cim.Property) bool { return props[strings.ToLower(p.Name)] }
	case class != nil:
		opts.keep = func(p *cim.Property) bool { return class.PropertyIndex(p.Name) >= 0 }
	}
	return opts, nil
}

func (c *call) getInstance(ps *params) error {
	p, err := ps.instanceName(c.dec, "InstanceName")
	if err != nil {
		return err
	}
	if _, err := ps.boolean("LocalOnly", true); err != nil {
		return err
	}
	opts, err := c.instanceOpts(ps, nil)
	if err != nil {
		return err
	}
	inst, err := c.getInst(p)
	if err != nil {
		return err
	}
	c.returnValue()
	c.enc.instance(c.resp.buf, inst, opts)
	c.endReturnValue()
	return nil
}

// getInst gets the instance at p.
func (c *call) getInst(p cim.ObjectPath) (*cim.Instance, error) {
	cr, err := c.svc.GetObject(c.ctx, p.String(), 0)
	if err != nil {
		return nil, err
	}
	obj, _ := cr.ResultObject(0)
	inst, ok := obj.(*cim.Instance)
	if !ok {
		return nil, &cim.Error{Status: cim.WBEM_E_INVALID_OBJECT_PATH, Parameter: p.String(), Description: p.String() + " names a class, not an instance"}
	}
	return inst, nil
}

func (c *call) enumerateInstances(ps *params, names bool) error {
	name, err := ps.className("ClassName", true)
	if err != nil {
		return err
	}
	var opts instOpts
	if !names {
		if _, err := ps.boolean("LocalOnly", true); err != nil {
			return err
		}
		deep, err := ps.boolean("DeepInheritance", true)
		if err != nil {
			return err
		}
		var shallowOf *cim.Class
		if !deep {
			// Subclasses' instances come with the properties of the
			// class asked for only (DSP0200's DeepInheritance).
			if shallowOf, err = c.lookupClass(name); err != nil {
				return err
			}
		}
		if opts, err = c.instanceOpts(ps, shallowOf); err != nil {
			return err
		}
	}
	svc := c.raw
	if extra := c.inheritedObjects(name, nil); len(extra) > 0 {
		svc = wbem.NewServices(appendBackend{c.s.backend, extra}, c.req.ns)
	}
	e, err := svc.CreateInstanceEnum(c.ctx, name, semisync)
	if err != nil {
		return err
	}
	w := c.resp.buf
	return c.stream(e, func(obj cim.Object) error {
		inst, ok := instanceOf(obj)
		if !ok {
			return nil
		}
		if names {
			c.enc.instanceName(w, obj.ObjectPath())
			return nil
		}
		w.WriteString("<VALUE.NAMEDINSTANCE>")
		c.enc.instanceName(w, obj.ObjectPath())
		c.enc.instance(w, inst, opts)
		w.WriteString("</VALUE.NAMEDINSTANCE>")
		return nil
	})
}

// readInstance reads an INSTANCE parameter as an instance of its class.
func (c *call) readInstance(n *node) (*cim.Instance, []bool, error) {
	if n == nil || n.Name != "INSTANCE" {
		return nil, nil, badXML(n, "expected <INSTANCE>")
	}
	name, err := reqAttr(n, "CLASSNAME")
	if err != nil {
		return nil, nil, err
	}
	cl, err := c.lookupClass(name)
	if err != nil {
		return nil, nil, err
	}
	return c.dec.instance(n, cl)
}

// subscriptionClasses are DSP1054's classes whose instances would make the
// server send indications to a listener. Their creation is refused: a
// repository that holds the DMTF schema would otherwise store them, and the
// client would wait for indications that never come.
var subscriptionClasses = []string{"CIM_IndicationFilter", "CIM_FilterCollection", "CIM_ListenerDestination",
	"CIM_ListenerDestinationCIMXML", "CIM_ListenerDestinationWSManagement", "CIM_IndicationHandler",
	"CIM_IndicationHandlerCIMXML", "CIM_IndicationSubscription", "CIM_FilterCollectionSubscription"}

// errNoSubscriptions is the answer to a request that would subscribe a
// listener to indications.
func errNoSubscriptions(class string) error {
	return &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Parameter: class, Description: class +
		": indication subscriptions over CIM-XML (DSP1054 filters, listener destinations and subscriptions) are not supported by this server;" +
		" subscribe to events with ExecNotificationQuery over WS-Management"}
}

// subscriptionClass returns the DSP1054 subscription class that an
// instance of the named class is, and whether it is one: the class itself
// or, when the backend knows it, one of its ancestors.
func (c *call) subscriptionClass(name string) (string, bool) {
	is := func(n string) (string, bool) {
		for _, s := range subscriptionClasses {
			if strings.EqualFold(n, s) {
				return s, true
			}
		}
		return "", false
	}
	if s, ok := is(name); ok {
		return s, true
	}
	if cl, err := c.lookupClass(name); err == nil {
		for _, d := range cl.Derivation {
			if s, ok := is(d); ok {
				return s, true
			}
		}
	}
	return "", false
}

func (c *call) createInstance(ps *params) error {
	if n := ps.value("NewInstance"); n != nil && n.Name == "INSTANCE" {
		if name, _ := n.attr("CLASSNAME"); name != "" {
			if _, ok := c.subscriptionClass(name); ok {
				return errNoSubscriptions(name)
			}
		}
	}
	inst, _, err := c.readInstance(ps.value("NewInstance"))
	if err != nil {
		return err
	}
	flags, err := flagsParam(ps, wbem.WBEM_FLAG_CREATE_ONLY)
	if err != nil {
		return err
	}
	cr, err := c.svc.PutInstance(c.ctx, inst, flags)
	if err != nil {
		return err
	}
	path, _ := cr.ResultString(0)
	p, err := cim.ParsePath(path)
	if err != nil {
		p = inst.ObjectPath()
	}
	c.returnValue()
	c.enc.instanceName(c.resp.buf, p)
	c.endReturnValue()
	return nil
}

func (c *call) modifyInstance(ps *params) error {
	ni := ps.value("ModifiedInstance")
	if ni == nil || ni.Name != "VALUE.NAMEDINSTANCE" || len(ni.Kids) != 2 || ni.Kids[0].Name != "INSTANCENAME" {
		return ps.bad("ModifiedInstance", "expected a <VALUE.NAMEDINSTANCE> of <INSTANCENAME> and <INSTANCE>")
	}
	if _, err := ps.boolean("IncludeQualifiers", true); err != nil {
		return err
	}
	props, err := ps.propertyList("PropertyList")
	if err != nil {
		return err
	}
	p, err := c.dec.instanceName(ni.Kids[0])
	if err != nil {
		return err
	}
	mod, seen, err := c.readInstance(ni.Kids[1])
	if err != nil {
		return err
	}
	cur, err := c.getInst(p)
	if err != nil {
		return err
	}
	if !cim.EqualFold(cur.ClassName(), mod.ClassName()) {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "ModifiedInstance",
			Description: "the instance is of class " + mod.ClassName() + " but its name is of " + cur.ClassName()}
	}
	next := cur.Clone()
	mc := mod.Class()
	for i := range mc.Properties {
		mp := &mc.Properties[i]
		j := next.Class().PropertyIndex(mp.Name)
		if j < 0 {
			continue
		}
		take := seen[i]
		if props != nil {
			take = props[strings.ToLower(mp.Name)]
		}
		if !take {
			continue
		}
		v := mod.At(i)
		if next.Class().Properties[j].IsKey() {
			if !seen[i] || cim.Equal(v, next.At(j)) {
				continue
			}
			return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: mp.Name,
				Description: "ModifyInstance cannot change the key " + mp.Name + " (create a new instance instead)"}
		}
		next.SetAt(j, v)
	}
	flags, err := flagsParam(ps, wbem.WBEM_FLAG_UPDATE_ONLY)
	if err != nil {
		return err
	}
	_, err = c.svc.PutInstance(c.ctx, next, flags)
	return err
}

// putClass serves CreateClass and ModifyClass. Qualifiers the class
// inherited (PROPAGATED) are dropped: the object manager propagates them
// again.
func (c *call) putClass(ps *params, create bool) error {
	pname := "ModifiedClass"
	def := wbem.WBEM_FLAG_UPDATE_ONLY
	if create {
		pname, def = "NewClass", wbem.WBEM_FLAG_CREATE_ONLY
	}
	n := ps.value(pname)
	if n == nil || n.Name != "CLASS" {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: pname, Operation: ps.method,
			Description: ps.method + " needs a <CLASS> in " + pname}
	}
	cl, err := c.dec.class(n)
	if err != nil {
		return err
	}
	dropPropagated(cl)
	flags, err := flagsParam(ps, def)
	if err != nil {
		return err
	}
	_, err = c.svc.PutClass(c.ctx, cl, flags)
	return err
}

func dropPropagated(cl *cim.Class) {
	cl.Qualifiers = ownQualifiers(cl.Qualifiers)
	for i := range cl.Properties {
		cl.Properties[i].Qualifiers = ownQualifiers(cl.Properties[i].Qualifiers)
	}
	for i := range cl.Methods {
		cl.Methods[i].Qualifiers = ownQualifiers(cl.Methods[i].Qualifiers)
	}
}

// objectName reads ObjectName (or InstanceName) of the association
// operations: an instance name or, for the class-level operations, a
// class name.
func (c *call) objectName(ps *params, name string) (cim.ObjectPath, error) {
	v := ps.value(name)
	if v == nil {
		return cim.ObjectPath{}, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: name, Operation: ps.method,
			Description: ps.method + " needs the parameter " + name}
	}
	switch v.Name {
	case "INSTANCENAME":
		return c.dec.instanceName(v)
	case "CLASSNAME":
		n, err := ps.className(name, true)
		return cim.ObjectPath{Class: n}, err
	}
	return cim.ObjectPath{}, ps.bad(name, "expected <INSTANCENAME> or <CLASSNAME>, found <%s>", v.Name)
}

// associationQuery builds WQL's ASSOCIATORS OF or REFERENCES OF for the
// association operations' filters.
func associationQuery(ps *params, obj cim.ObjectPath, refs bool) (string, error) {
	var q strings.Builder
	if refs {
		q.WriteString("REFERENCES OF {")
	} else {
		q.WriteString("ASSOCIATORS OF {")
	}
	q.WriteString(obj.String())
	q.WriteString("}")
	var where []string
	add := func(param, keyword string) error {
		v, err := ps.name(param)
		if err != nil || v == "" {
			return err
		}
		where = append(where, keyword+" = "+v)
		return nil
	}
	keys := [][2]string{{"ResultClass", "ResultClass"}, {"Role", "Role"}}
	if !refs {
		keys = append(keys, [2]string{"AssocClass", "AssocClass"}, [2]string{"ResultRole", "ResultRole"})
	}
	for _, k := range keys {
		if err := add(k[0], k[1]); err != nil {
			return "", err
		}
	}
	if obj.IsClass() {
		where = append(where, "SchemaOnly")
	}
	if len(where) > 0 {
		q.WriteString(" WHERE " + strings.Join(where, " "))
	}
	return q.String(), nil
}

func (c *call) associations(ps *params, method string) error {
	obj, err := c.objectName(ps, "ObjectName")
	if err != nil {
		return err
	}
	refs := strings.HasPrefix(method, "Reference")
	names := strings.HasSuffix(method, "Names")
	q, err := associationQuery(ps, obj, refs)
	if err != nil {
		return err
	}
	var opts instOpts
	if !names {
		if opts, err = c.instanceOpts(ps, nil); err != nil {
			return err
		}
	}
	objs, sub, err := c.subscriptionAssociations(ps, obj, refs)
	if err != nil {
		return err
	}
	var e *wbem.Enumerator
	if sub {
		e, err = listStart("", objs)(c.ctx, c.svc)
	} else {
		e, err = c.raw.ExecQuery(c.ctx, "WQL", q, semisync)
	}
	if err != nil {
		return err
	}
	return c.stream(e, func(o cim.Object) error {
		c.objectWithPath(o, names, opts)
		return nil
	})
}

// objectWithPath writes VALUE.OBJECTWITHPATH (or, for names, OBJECTPATH).
func (c *call) objectWithPath(o cim.Object, names bool, opts instOpts) {
	w := c.resp.buf
	if names {
		w.WriteString("<OBJECTPATH>")
	} else {
		w.WriteString("<VALUE.OBJECTWITHPATH>")
	}
	if x, ok := instanceOf(o); ok {
		c.enc.instancePath(w, o.ObjectPath())
		if !names {
			c.enc.instance(w, x, opts)
		}
	} else if x, ok := o.(*cim.Class); ok {
		p := cim.ObjectPath{Class: x.Name, Server: x.Server, Namespace: x.Namespace}
		c.enc.classPath(w, p)
		if !names {
			c.enc.class(w, x, classOpts{qualifiers: true, origin: opts.origin})
		}
	}
	if names {
		w.WriteString("</OBJECTPATH>")
	} else {
		w.WriteString("</VALUE.OBJECTWITHPATH>")
	}
}

func (c *call) execQuery(ps *params) error {
	lang, ok, err := ps.str("QueryLanguage")
	if err != nil {
		return err
	}
	if !ok {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "QueryLanguage", Description: "ExecQuery needs a QueryLanguage"}
	}
	q, ok, err := ps.str("Query")
	if err != nil {
		return err
	}
	if !ok {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "Query", Description: "ExecQuery needs a Query"}
	}
	objs, sub, err := c.subscriptionQuery(lang, q)
	if err != nil {
		return err
	}
	var e *wbem.Enumerator
	if sub {
		e, err = listStart("", objs)(c.ctx, c.svc)
	} else {
		svc := c.raw
		extra, qerr := c.inheritedQuery(lang, q)
		if qerr != nil {
			return qerr
		}
		if len(extra) > 0 {
			svc = wbem.NewServices(appendBackend{c.s.backend, extra}, c.req.ns)
		}
		e, err = svc.ExecQuery(c.ctx, strings.TrimSpace(lang), q, semisync)
	}
	if err != nil {
		return err
	}
	return c.stream(e, func(o cim.Object) error {
		c.objectWithPath(o, false, instOpts{})
		return nil
	})
}

func (c *call) property(ps *params) (*cim.Instance, int, error) {
	p, err := ps.instanceName(c.dec, "InstanceName")
	if err != nil {
		return nil, 0, err
	}
	name, err := ps.name("PropertyName")
	if err != nil {
		return nil, 0, err
	}
	if name == "" {
		return nil, 0, &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Parameter: "PropertyName", Description: ps.method + " needs a PropertyName"}
	}
	inst, err := c.getInst(p)
	if err != nil {
		return nil, 0, err
	}
	i := inst.Class().PropertyIndex(name)
	if i < 0 {
		return nil, 0, &cim.Error{Status: cim.WBEM_E_INVALID_PROPERTY, Parameter: name, Description: "class " + inst.ClassName() + " has no property " + name}
	}
	return inst, i, nil
}

func (c *call) getProperty(ps *params) error {
	inst, i, err := c.property(ps)
	if err != nil {
		return err
	}
	c.returnValue()
	if v := inst.At(i); !v.IsNull() {
		c.enc.value(c.resp.buf, v)
	}
	c.endReturnValue()
	return nil
}

func (c *call) setProperty(ps *params) error {
	inst, i, err := c.property(ps)
	if err != nil {
		return err
	}
	p := &inst.Class().Properties[i]
	v := cim.Null
	if n := ps.value("NewValue"); n != nil {
		if v, err = c.dec.value(n, p.Type, plainText); err != nil {
			return err
		}
	}
	next := inst.Clone()
	next.SetAt(i, v)
	_, err = c.svc.PutInstance(c.ctx, next, wbem.WBEM_FLAG_UPDATE_ONLY)
	return err
}
