package cimom

import (
	"context"
	"fmt"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/provider"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

func (om *ObjectManager) execMethod(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	p, err := parsePath(op.Path, op.Namespace)
	if err != nil {
		return err
	}
	var class *cim.Class
	err = om.view(ctx, func(tx repository.Tx) error {
		class, err = om.class(tx, op.Namespace, p.Class)
		return err
	})
	if err != nil {
		return err
	}
	m, ok := class.Method(op.Method)
	if !ok {
		return &cim.Error{Status: cim.WBEM_E_INVALID_METHOD, Parameter: op.Method,
			Description: fmt.Sprintf("class %s has no method %s", class.Name, op.Method)}
	}
	if m.Qualifiers.Has("Disabled") {
		return &cim.Error{Status: cim.WBEM_E_METHOD_DISABLED, Parameter: m.Name, Description: "method " + class.Name + "." + m.Name + " is disabled"}
	}
	if p.IsClass() && !m.IsStatic() {
		return &cim.Error{Status: cim.WBEM_E_INVALID_METHOD_PARAMETERS, Parameter: op.Path,
			Description: fmt.Sprintf("%s.%s is an instance method: call it on an instance path, not on the class", class.Name, m.Name)}
	}
	inClass, outClass := m.ParameterClasses()
	in, err := checkInParams(class, m, inClass, op.In)
	if err != nil {
		return err
	}
	target := class.ObjectPath()
	target.Server, target.Namespace = "", ""
	if !p.IsClass() {
		inst, err := om.getInstance(ctx, op.Namespace, p)
		if err != nil {
			return err
		}
		target = inst.ObjectPath()
		target.Server = ""
		class = inst.Class()
		if mm, ok := class.Method(op.Method); ok {
			m = mm
		}
	}
	name := class.ProviderName()
	prov, err := om.lookup(ctx, op.Namespace, name)
	if err != nil {
		return err
	}
	mp, ok := prov.(provider.MethodProvider)
	if !ok {
		return &cim.Error{Status: cim.WBEM_E_METHOD_NOT_IMPLEMENTED, Parameter: m.Name, Provider: name,
			Description: fmt.Sprintf("no provider implements %s.%s", class.Name, m.Name)}
	}
	var out *cim.Instance
	err = om.guard(name, func() error {
		var err error
		out, err = mp.ExecMethod(ctx, &provider.MethodCall{Class: class, Path: target, Method: m, In: in, Out: outClass})
		return err
	})
	if err != nil {
		return err
	}
	if out == nil {
		out = outClass.NewInstance()
	}
	return w.Write(out)
}

// checkInParams lays the caller's in-parameters out as an instance of inClass:
// every property must be an in-parameter of m, of a convertible type.
func checkInParams(class *cim.Class, m *cim.Method, inClass *cim.Class, given *cim.Instance) (*cim.Instance, error) {
	in := inClass.NewInstance()
	if given == nil {
		return in, nil
	}
	gc := given.Class()
	for i := range gc.Properties {
		name := gc.Properties[i].Name
		v := given.At(i)
		if inClass.PropertyIndex(name) < 0 {
			if v.IsNull() {
				continue
			}
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_METHOD_PARAMETERS, Parameter: name,
				Description: fmt.Sprintf("%s.%s has no in-parameter %s", class.Name, m.Name, name)}
		}
		if err := in.Set(name, v); err != nil {
			return nil, &cim.Error{Status: cim.WBEM_E_INVALID_METHOD_PARAMETERS, Parameter: name,
				Description: fmt.Sprintf("%s.%s parameter %s: %s", class.Name, m.Name, name, cim.AsError(err).Description)}
		}
	}
	return in, nil
}
