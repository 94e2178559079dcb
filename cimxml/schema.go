package cimxml

import (
	"context"
	_ "embed"
	"fmt"
	"strings"
	"sync"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/mof"
	"github.com/gowbem/gowbem/wbem"
)

//go:embed mof/indications.mof
var indicationsMOF string

var indicationClasses = sync.OnceValues(func() ([]*cim.Class, error) {
	plan, err := mof.CompileString("indications.mof", indicationsMOF, mof.Options{})
	if err != nil {
		return nil, err
	}
	var out []*cim.Class
	for _, it := range plan.Items {
		if it.Class != nil {
			out = append(out, declaration(it.Class))
		}
	}
	return out, nil
})

// IndicationClasses returns the declarations of DSP1054's subscription
// classes the server serves (CIM_IndicationFilter,
// CIM_ListenerDestination and CIM_ListenerDestinationCIMXML, their
// deprecated names CIM_IndicationHandler and CIM_IndicationHandlerCIMXML,
// CIM_IndicationSubscription, and CIM_ManagedElement, their parent),
// parents first: gowbem's own MOF of them (cimxml/mof/indications.mof).
func IndicationClasses() ([]*cim.Class, error) {
	cs, err := indicationClasses()
	if err != nil {
		return nil, err
	}
	out := make([]*cim.Class, len(cs))
	for i, c := range cs {
		out[i] = c.Clone()
	}
	return out, nil
}

// declaration keeps of a complete class what it declares itself.
func declaration(c *cim.Class) *cim.Class {
	d := &cim.Class{Name: c.Name, Superclass: c.Superclass}
	own := func(qs cim.Qualifiers) cim.Qualifiers {
		var out cim.Qualifiers
		for _, q := range qs {
			if q.Flavor&cim.FlavorPropagated == 0 {
				out = append(out, q)
			}
		}
		return out
	}
	d.Qualifiers = own(c.Qualifiers)
	for _, p := range c.Properties {
		q := own(p.Qualifiers)
		if p.Origin == "" || strings.EqualFold(p.Origin, c.Name) || len(q) > 0 {
			p.Origin, p.Qualifiers = "", q
			d.Properties = append(d.Properties, p)
		}
	}
	return d
}

// installClasses adds to namespace ns those of IndicationClasses it lacks
// (a class there already, e.g. the host's CIM_ManagedElement, stays as it
// is), as the server itself.
func (s *Server) installClasses(ctx context.Context, ns string) error {
	cs, err := indicationClasses()
	if err != nil {
		return err
	}
	svc := wbem.NewServices(s.backend, ns)
	for _, c := range cs {
		if _, err := getClass(ctx, svc, c.Name); err == nil {
			continue
		}
		if _, err := svc.PutClass(ctx, c.Clone(), wbem.WBEM_FLAG_CREATE_ONLY); err != nil && cim.StatusOf(err) != cim.WBEM_E_ALREADY_EXISTS {
			return fmt.Errorf("installing %s in %s: %w", c.Name, ns, err)
		}
	}
	return nil
}
