package wmi

import (
	"fmt"
	"sort"
	"strings"
	"unsafe"

	"github.com/go-ole/go-ole"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/wbem"
)

// noObjects refuses embedded objects where none can occur (system
// properties, qualifier values).
func noObjects(*object) (variant, error) {
	return variant{}, &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: "unexpected embedded object"}
}

// getProperty reads one property or system property of obj with its CIMTYPE.
func getProperty(obj *object, name string) (variant, cim.Type, error) {
	n := newBSTR(name)
	defer n.free()
	var v ole.VARIANT
	var t int32
	hr := obj.call(mGet, n.ptr(), 0, uintptr(unsafe.Pointer(&v)), uintptr(unsafe.Pointer(&t)), 0)
	if failed(hr) {
		return variant{}, 0, hresultError("Get", hr, "property "+name)
	}
	defer ole.VariantClear(&v)
	x, err := readVariant(&v, noObjects)
	return x, cim.Type(t), err
}

func getString(obj *object, name string) string {
	v, _, err := getProperty(obj, name)
	if err != nil || v.vt != vtBSTR {
		return ""
	}
	return v.s
}

// rawProp is a property as IWbemClassObject::Next gives it.
type rawProp struct {
	name   string
	typ    cim.Type
	flavor int32
	val    variant
}

// properties lists the non-system properties of obj with their values
// (embedded objects converted).
func (r *run) properties(obj *object) ([]rawProp, error) {
	if hr := obj.call(mBeginEnumeration, wbemFlagNonSystemOnly); failed(hr) {
		return nil, hresultError(r.name(), hr, "enumerating properties")
	}
	defer obj.call(mEndEnumeration)
	var out []rawProp
	for {
		var name *uint16
		var v ole.VARIANT
		var t, fl int32
		hr := obj.call(mNext, 0, uintptr(unsafe.Pointer(&name)), uintptr(unsafe.Pointer(&v)),
			uintptr(unsafe.Pointer(&t)), uintptr(unsafe.Pointer(&fl)))
		if hr == wbemSNoMoreData || hr == sFalse {
			return out, nil
		}
		if failed(hr) {
			return nil, hresultError(r.name(), hr, "enumerating properties")
		}
		n := takeBSTR(name)
		x, err := readVariant(&v, r.embedded)
		ole.VariantClear(&v)
		if err != nil {
			return nil, &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Operation: r.name(), Parameter: n,
				Description: "property " + n + ": " + err.Error()}
		}
		out = append(out, rawProp{name: n, typ: cim.Type(t), flavor: fl, val: x})
	}
}

// embedded converts an embedded object (a VT_UNKNOWN).
func (r *run) embedded(unk *object) (variant, error) {
	obj, hr := unk.queryInterface(iidWbemClassObject)
	if failed(hr) || obj == nil {
		return variant{}, &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: "an embedded object is not an IWbemClassObject"}
	}
	defer obj.release()
	o, err := r.convert(obj)
	if err != nil {
		return variant{}, err
	}
	return variant{vt: vtUnknown, obj: o}, nil
}

// qualifierSet reads a qualifier set and releases it.
func qualifierSet(qs *object) cim.Qualifiers {
	if qs == nil {
		return nil
	}
	defer qs.release()
	if failed(qs.call(mQualBeginEnumeration, 0)) {
		return nil
	}
	defer qs.call(mQualEndEnumeration)
	var out cim.Qualifiers
	for {
		var name *uint16
		var v ole.VARIANT
		var fl int32
		hr := qs.call(mQualNext, 0, uintptr(unsafe.Pointer(&name)), uintptr(unsafe.Pointer(&v)), uintptr(unsafe.Pointer(&fl)))
		if hr != sOK {
			return out
		}
		n := takeBSTR(name)
		x, err := readVariant(&v, noObjects)
		ole.VariantClear(&v)
		if err != nil {
			continue
		}
		val, err := naturalValue(x)
		if err != nil {
			continue
		}
		out = append(out, cim.Qualifier{Name: n, Value: val, Flavor: cim.Flavor(fl & 0xF3)})
	}
}

func (r *run) qualifiersOf(obj *object, m int, name string) cim.Qualifiers {
	var qs *object
	if name == "" {
		if failed(obj.call(m, uintptr(unsafe.Pointer(&qs)))) {
			return nil
		}
		return qualifierSet(qs)
	}
	n := newBSTR(name)
	defer n.free()
	if failed(obj.call(m, n.ptr(), uintptr(unsafe.Pointer(&qs)))) {
		return nil
	}
	return qualifierSet(qs)
}

func originOf(obj *object, m int, name string) string {
	n := newBSTR(name)
	defer n.free()
	var s *uint16
	if failed(obj.call(m, n.ptr(), uintptr(unsafe.Pointer(&s)))) {
		return ""
	}
	return takeBSTR(s)
}

// refClass reads the class of a reference or embedded object from the
// CIMTYPE qualifier ("ref:Class", "object:Class").
func refClass(qs cim.Qualifiers) string {
	t := qs.Value("CIMTYPE").Str()
	if _, c, ok := strings.Cut(t, ":"); ok {
		return c
	}
	return ""
}

// classFrom converts an IWbemClassObject into a cim.Class: a class object
// gives the class; an instance the shape of its properties.
func (r *run) classFrom(obj *object, methods bool) (*cim.Class, error) {
	c := &cim.Class{Name: getString(obj, "__CLASS"), Superclass: getString(obj, "__SUPERCLASS"),
		Server: getString(obj, "__SERVER"), Namespace: getString(obj, "__NAMESPACE")}
	if d, _, err := getProperty(obj, "__DERIVATION"); err == nil {
		for _, e := range d.arr {
			c.Derivation = append(c.Derivation, e.s)
		}
	}
	c.Qualifiers = r.qualifiersOf(obj, mGetQualifierSet, "")
	props, err := r.properties(obj)
	if err != nil {
		return nil, err
	}
	for _, p := range props {
		def, err := fromVariant(p.typ, p.val)
		if err != nil {
			return nil, propError(r.name(), c.Name, p.name, err)
		}
		qs := r.qualifiersOf(obj, mGetPropertyQualifierSet, p.name)
		c.Properties = append(c.Properties, cim.Property{Name: p.name, Type: p.typ, Default: def,
			Qualifiers: qs, RefClass: refClass(qs), Origin: originOf(obj, mGetPropertyOrigin, p.name)})
	}
	if methods {
		ms, err := r.methods(obj)
		if err != nil {
			return nil, err
		}
		c.Methods = ms
	}
	return c, nil
}

func propError(op, class, prop string, err error) *cim.Error {
	e := cim.AsError(err)
	return &cim.Error{Status: e.Status, Operation: op, Parameter: prop,
		Description: fmt.Sprintf("property %s.%s: %s", class, prop, e.Description)}
}

// methods reads the methods of a class object with their parameters (from
// the in- and out-signature objects) and qualifiers.
func (r *run) methods(obj *object) ([]cim.Method, error) {
	if failed(obj.call(mBeginMethodEnumeration, 0)) {
		return nil, nil
	}
	defer obj.call(mEndMethodEnumeration)
	var out []cim.Method
	for {
		var name *uint16
		var in, outSig *object
		hr := obj.call(mNextMethod, 0, uintptr(unsafe.Pointer(&name)), uintptr(unsafe.Pointer(&in)), uintptr(unsafe.Pointer(&outSig)))
		if hr != sOK {
			return out, nil
		}
		m := cim.Method{Name: takeBSTR(name)}
		m.Qualifiers = r.qualifiersOf(obj, mGetMethodQualifierSet, m.Name)
		m.Origin = originOf(obj, mGetMethodOrigin, m.Name)
		params := map[string]*cim.Parameter{}
		var order []string
		for _, sig := range []*object{in, outSig} {
			if sig == nil {
				continue
			}
			props, err := r.properties(sig)
			if err != nil {
				in.release()
				outSig.release()
				return nil, err
			}
			for _, p := range props {
				qs := r.qualifiersOf(sig, mGetPropertyQualifierSet, p.name)
				if sig == outSig && strings.EqualFold(p.name, "ReturnValue") {
					m.ReturnType = p.typ
					continue
				}
				if have := params[strings.ToLower(p.name)]; have != nil {
					for _, q := range qs {
						if _, ok := have.Qualifiers.Get(q.Name); !ok {
							have.Qualifiers = append(have.Qualifiers, q)
						}
					}
					continue
				}
				params[strings.ToLower(p.name)] = &cim.Parameter{Name: p.name, Type: p.typ, RefClass: refClass(qs), Qualifiers: qs}
				order = append(order, strings.ToLower(p.name))
			}
		}
		in.release()
		outSig.release()
		sort.SliceStable(order, func(i, j int) bool {
			return params[order[i]].Qualifiers.Value("ID").Int() < params[order[j]].Qualifiers.Value("ID").Int()
		})
		for _, k := range order {
			m.Params = append(m.Params, *params[k])
		}
		out = append(out, m)
	}
}

// classOf returns the definition of class, fetched once per operation; an
// object whose class cannot be fetched is shaped by its own properties.
func (r *run) classOf(name string, obj *object) (*cim.Class, error) {
	key := strings.ToLower(name)
	if c := r.classes[key]; c != nil {
		return c, nil
	}
	var c *cim.Class
	if co, err := r.getObject(name, r.flags()&uintptr(wbem.WBEM_FLAG_USE_AMENDED_QUALIFIERS)); err == nil {
		c, err = r.classFrom(co, false)
		co.release()
		if err != nil {
			return nil, err
		}
	} else {
		var err error
		if c, err = r.classFrom(obj, false); err != nil {
			return nil, err
		}
	}
	r.classes[key] = c
	return c, nil
}

// convert converts an IWbemClassObject: a class into a *cim.Class, an
// instance into a *cim.Instance of its class (or of the projection its
// properties show, for a query that selected some).
func (r *run) convert(obj *object) (cim.Object, error) {
	g, _, err := getProperty(obj, "__GENUS")
	if err != nil {
		// Wine's out-parameter objects have no system properties: an
		// object that cannot say is an instance.
		g = variant{vt: vtI4, i: int64(cim.GenusInstance)}
	}
	// Wine's WMI reports every object as an instance, so what the call
	// yields decides too.
	if g.i == int64(cim.GenusClass) || r.yieldsClasses() {
		return r.classFrom(obj, true)
	}
	name := getString(obj, "__CLASS")
	props, err := r.properties(obj)
	if err != nil {
		return nil, err
	}
	cls, err := r.classOf(name, obj)
	if err != nil {
		return nil, err
	}
	if len(cls.Keys()) == 0 && !cls.IsSingleton() {
		cls = r.keysFromPath(cls, obj)
	}
	shape := cls
	if !sameShape(cls, props) {
		names := make([]string, len(props))
		for i, p := range props {
			names[i] = p.name
		}
		key := strings.ToLower(name + "\x00" + strings.Join(names, "\x00"))
		if shape = r.shapes[key]; shape == nil {
			shape = cls.Project(names, false)
			r.shapes[key] = shape
		}
	}
	inst := shape.NewInstance()
	for _, p := range props {
		i := shape.PropertyIndex(p.name)
		if i < 0 {
			continue
		}
		v, err := fromVariant(shape.Properties[i].Type, p.val)
		if err != nil {
			return nil, propError(r.name(), name, p.name, err)
		}
		inst.SetAt(i, v)
	}
	inst.SetLocation(getString(obj, "__SERVER"), getString(obj, "__NAMESPACE"))
	return inst, nil
}

func sameShape(c *cim.Class, props []rawProp) bool {
	if len(c.Properties) != len(props) {
		return false
	}
	for _, p := range props {
		if c.PropertyIndex(p.name) < 0 {
			return false
		}
	}
	return true
}

// put sets one property of a WMI object from a cim.Value (cimtype 0 for
// instances, the property's type when defining a class).
func (r *run) put(obj *object, name string, v cim.Value, cimtype cim.Type) error {
	x, err := toVariant(v)
	if err != nil {
		return propError(r.name(), "", name, err)
	}
	if v.IsNull() && cimtype != 0 {
		x = variant{vt: vtNull}
	}
	vv, err := writeVariant(x, r.toWMI)
	if err != nil {
		return err
	}
	defer ole.VariantClear(&vv)
	n := newBSTR(name)
	defer n.free()
	if hr := obj.call(mPut, n.ptr(), 0, uintptr(unsafe.Pointer(&vv)), uintptr(cimtype)); failed(hr) {
		return r.b.failure(r.name(), hr, name)
	}
	return nil
}

// toWMI converts an embedded object back into an IWbemClassObject.
func (r *run) toWMI(x variant) (*object, error) {
	switch o := x.obj.(type) {
	case *cim.Instance:
		return r.toInstance(o)
	case *cim.Class:
		return r.getObject(o.Name, 0)
	}
	return nil, &cim.Error{Status: cim.WBEM_E_TYPE_MISMATCH, Description: "an embedded object is neither a class nor an instance"}
}

// toInstance builds a WMI instance of inst's class (GetObject,
// SpawnInstance, Put of every non-NULL property).
func (r *run) toInstance(inst *cim.Instance) (*object, error) {
	cls, err := r.getObject(inst.ClassName(), 0)
	if err != nil {
		return nil, err
	}
	defer cls.release()
	var wi *object
	if hr := cls.call(mSpawnInstance, 0, uintptr(unsafe.Pointer(&wi))); failed(hr) {
		return nil, r.b.failure(r.name(), hr, inst.ClassName())
	}
	if err := r.fill(wi, inst); err != nil {
		wi.release()
		return nil, err
	}
	return wi, nil
}

func (r *run) fill(wi *object, inst *cim.Instance) error {
	c := inst.Class()
	for i := range c.Properties {
		if v := inst.At(i); !v.IsNull() {
			if err := r.put(wi, c.Properties[i].Name, v, 0); err != nil {
				return err
			}
		}
	}
	return nil
}

func (r *run) putInstance() error {
	inst, ok := r.op.Object.(*cim.Instance)
	if !ok || inst == nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_OBJECT, Operation: r.name(), Description: "PutInstance needs an instance"}
	}
	wi, err := r.toInstance(inst)
	if err != nil {
		return err
	}
	defer wi.release()
	flags := r.flags()
	if !r.semisync() {
		if hr := r.svc.call(mPutInstance, uintptr(unsafe.Pointer(wi)), flags, 0, 0); failed(hr) {
			return r.b.failure(r.name(), hr, inst.ClassName())
		}
		r.w.SetResultString(inst.ObjectPath().RelPath())
		return nil
	}
	var cr *object
	if hr := r.svc.call(mPutInstance, uintptr(unsafe.Pointer(wi)), flags|uintptr(wbem.WBEM_FLAG_RETURN_IMMEDIATELY), 0, uintptr(unsafe.Pointer(&cr))); failed(hr) {
		return r.b.failure(r.name(), hr, inst.ClassName())
	}
	defer cr.release()
	setBlanket(cr, r.b.identity)
	if err := r.wait(cr); err != nil {
		return err
	}
	var s *uint16
	if hr := cr.call(mGetResultString, 0, uintptr(unsafe.Pointer(&s))); !failed(hr) {
		r.w.SetResultString(takeBSTR(s))
	}
	return nil
}

func (r *run) putClass() error {
	c, ok := r.op.Object.(*cim.Class)
	if !ok || c == nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_OBJECT, Operation: r.name(), Description: "PutClass needs a class"}
	}
	own := func(origin string) bool { return origin == "" || cim.EqualFold(origin, c.Name) }
	for _, m := range c.Methods {
		if own(m.Origin) {
			return &cim.Error{Status: cim.WBEM_E_NOT_SUPPORTED, Operation: r.name(), Parameter: m.Name,
				Description: "the WMI backend does not define methods yet (class " + c.Name + ", method " + m.Name + "): compile the class's MOF with mofcomp"}
		}
	}
	var wc *object
	if c.Superclass != "" {
		sup, err := r.getObject(c.Superclass, 0)
		if err != nil {
			return err
		}
		hr := sup.call(mSpawnDerivedClass, 0, uintptr(unsafe.Pointer(&wc)))
		sup.release()
		if failed(hr) {
			return r.b.failure(r.name(), hr, c.Superclass)
		}
	} else {
		var err error
		if wc, err = r.getObject("", 0); err != nil {
			return err
		}
	}
	defer wc.release()
	if err := r.put(wc, "__CLASS", cim.String(c.Name), 0); err != nil {
		return err
	}
	if err := r.putQualifiers(wc, mGetQualifierSet, "", c.Qualifiers); err != nil {
		return err
	}
	for _, p := range c.Properties {
		if !own(p.Origin) {
			continue
		}
		if err := r.put(wc, p.Name, p.Default, p.Type); err != nil {
			return err
		}
		if err := r.putQualifiers(wc, mGetPropertyQualifierSet, p.Name, p.Qualifiers); err != nil {
			return err
		}
	}
	var cr *object
	pcr, flags := uintptr(0), r.flags()
	if r.semisync() {
		pcr, flags = uintptr(unsafe.Pointer(&cr)), flags|uintptr(wbem.WBEM_FLAG_RETURN_IMMEDIATELY)
	}
	if hr := r.svc.call(mPutClass, uintptr(unsafe.Pointer(wc)), flags, 0, pcr); failed(hr) {
		return r.b.failure(r.name(), hr, c.Name)
	}
	if cr == nil {
		return nil
	}
	defer cr.release()
	return r.wait(cr)
}

func (r *run) putQualifiers(obj *object, m int, name string, qs cim.Qualifiers) error {
	var set *object
	var hr uint32
	if name == "" {
		hr = obj.call(m, uintptr(unsafe.Pointer(&set)))
	} else {
		n := newBSTR(name)
		hr = obj.call(m, n.ptr(), uintptr(unsafe.Pointer(&set)))
		n.free()
	}
	if failed(hr) {
		return r.b.failure(r.name(), hr, name)
	}
	defer set.release()
	for _, q := range qs {
		if strings.EqualFold(q.Name, "CIMTYPE") || q.Flavor&cim.FlavorPropagated != 0 {
			continue // WMI keeps CIMTYPE itself; propagated copies come from the superclass
		}
		v := q.Value
		if v.IsNull() {
			v = cim.Bool(true)
		}
		x, err := toVariant(v)
		if err != nil {
			return err
		}
		vv, err := writeVariant(x, r.toWMI)
		if err != nil {
			return err
		}
		qn := newBSTR(q.Name)
		hr := set.call(mQualPut, qn.ptr(), uintptr(unsafe.Pointer(&vv)), uintptr(q.Flavor&0x93))
		qn.free()
		ole.VariantClear(&vv)
		if failed(hr) {
			return r.b.failure(r.name(), hr, "qualifier "+q.Name)
		}
	}
	return nil
}

func (r *run) execMethod() error {
	op := r.op
	p, err := cim.ParsePath(op.Path)
	if err != nil {
		return &cim.Error{Status: cim.WBEM_E_INVALID_OBJECT_PATH, Operation: r.name(), Parameter: op.Path, Description: cim.AsError(err).Description}
	}
	// The class and the method first: an unknown class or method fails
	// here with WMI's own status (Wine's ExecMethod crashes on them), and
	// the in-signature gives the in-parameters' object.
	cls, err := r.getObject(p.Class, 0)
	if err != nil {
		return err
	}
	mn := newBSTR(op.Method)
	defer mn.free()
	var inSig, outSig *object
	hr := cls.call(mGetMethod, mn.ptr(), 0, uintptr(unsafe.Pointer(&inSig)), uintptr(unsafe.Pointer(&outSig)))
	cls.release()
	if failed(hr) {
		return &cim.Error{Status: cim.WBEM_E_INVALID_METHOD, Operation: r.name(), Parameter: op.Method,
			Description: "class " + p.Class + " has no method " + op.Method}
	}
	outSig.release()
	defer inSig.release()
	var in *object
	if op.In != nil {
		if inSig == nil {
			for i := range op.In.Len() {
				if !op.In.At(i).IsNull() {
					return &cim.Error{Status: cim.WBEM_E_INVALID_METHOD_PARAMETERS, Operation: r.name(), Parameter: op.Method,
						Description: "method " + p.Class + "." + op.Method + " takes no in-parameters"}
				}
			}
		} else {
			if hr := inSig.call(mSpawnInstance, 0, uintptr(unsafe.Pointer(&in))); failed(hr) {
				return r.b.failure(r.name(), hr, op.Method)
			}
			defer in.release()
			if err := r.fill(in, op.In); err != nil {
				return err
			}
		}
	}
	path := newBSTR(op.Path)
	defer path.free()
	var out, cr *object
	if r.semisync() {
		hr = r.svc.call(mExecMethod, path.ptr(), mn.ptr(), r.flags()|uintptr(wbem.WBEM_FLAG_RETURN_IMMEDIATELY), 0,
			uintptr(unsafe.Pointer(in)), 0, uintptr(unsafe.Pointer(&cr)))
		if failed(hr) {
			return r.b.failure(r.name(), hr, op.Path)
		}
		defer cr.release()
		setBlanket(cr, r.b.identity)
		if err := r.wait(cr); err != nil {
			return err
		}
		if hr := cr.call(mGetResultObject, 0, uintptr(unsafe.Pointer(&out))); failed(hr) && hr != uint32(cim.WBEM_E_NOT_FOUND) {
			return r.b.failure(r.name(), hr, op.Path)
		}
	} else {
		// The out-parameters pointer is never NULL: Wine's ExecMethod
		// writes through it unchecked.
		hr = r.svc.call(mExecMethod, path.ptr(), mn.ptr(), r.flags(), 0, uintptr(unsafe.Pointer(in)),
			uintptr(unsafe.Pointer(&out)), 0)
		if failed(hr) {
			return r.b.failure(r.name(), hr, op.Path)
		}
	}
	if out == nil {
		return nil
	}
	defer out.release()
	o, err := r.convert(out)
	if err != nil {
		return err
	}
	return r.w.Write(o)
}

// yieldsClasses reports whether the operation's objects are classes:
// CreateClassEnum's, and GetObject's of a class path.
func (r *run) yieldsClasses() bool {
	switch r.op.Kind {
	case wbem.OpCreateClassEnum:
		return true
	case wbem.OpGetObject:
		if r.op.Path == "" {
			return true
		}
		p, err := cim.ParsePath(r.op.Path)
		return err == nil && len(p.Keys) == 0 && !p.Singleton
	}
	return false
}

// keysFromPath marks the keys of a class whose definition carries no Key
// qualifiers (Wine's WMI has no qualifiers at all) from the __RELPATH WMI
// gives its instances, so their paths stay right. The marked class
// replaces cls for the rest of the operation.
func (r *run) keysFromPath(cls *cim.Class, obj *object) *cim.Class {
	rel := getString(obj, "__RELPATH")
	if rel == "" {
		return cls
	}
	p, err := cim.ParsePath(rel)
	if err != nil || (len(p.Keys) == 0 && !p.Singleton) {
		return cls
	}
	c := &cim.Class{Name: cls.Name, Superclass: cls.Superclass, Derivation: cls.Derivation,
		Qualifiers: cls.Qualifiers, Methods: cls.Methods, Server: cls.Server, Namespace: cls.Namespace,
		Properties: append([]cim.Property(nil), cls.Properties...)}
	if p.Singleton {
		c.Qualifiers = append(append(cim.Qualifiers(nil), c.Qualifiers...), cim.Qualifier{Name: "Singleton", Value: cim.Bool(true), Flavor: cim.FlavorToSubclass})
	}
	for _, k := range p.Keys {
		name := k.Name
		if name == "" && len(p.Keys) == 1 { // Class="v": the one key
			continue
		}
		if i := c.PropertyIndex(name); i >= 0 {
			pr := &c.Properties[i]
			pr.Qualifiers = append(append(cim.Qualifiers(nil), pr.Qualifiers...), cim.Qualifier{Name: "Key", Value: cim.Bool(true), Flavor: cim.FlavorToSubclass | cim.FlavorNotOverridable})
		}
	}
	r.classes[strings.ToLower(cls.Name)] = c
	return c
}
