package workload

import (
	"context"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/cimom"
	"github.com/gowbem/gowbem/wbem"
)

// Namespace is where Setup puts the workload.
const Namespace = cim.DefaultNamespace

// NewObjectManager returns an in-memory object manager with p registered and
// the workload class and the static data set of StaticClasses in Namespace.
func NewObjectManager(p *Provider, opts ...cimom.Option) *cimom.ObjectManager {
	opts = append([]cimom.Option{cimom.WithServer("testhost"), cimom.WithProvider(ProviderName, p)}, opts...)
	om := cimom.NewMemory(opts...)
	if err := Setup(context.Background(), om.Services(Namespace)); err != nil {
		panic(err)
	}
	return om
}

// StaticClasses are a small hierarchy of static classes for tests:
// GW_Base (key Name) ← GW_Child ← GW_Grand, a singleton GW_Single, an abstract
// GW_Abstract and an association GW_Link between two GW_Base.
func StaticClasses() []*cim.Class {
	key := cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}
	return []*cim.Class{
		{Name: "GW_Base", Properties: []cim.Property{
			{Name: "Name", Type: cim.TypeString, Qualifiers: key},
			{Name: "Size", Type: cim.TypeUint32},
			{Name: "Label", Type: cim.TypeString, Qualifiers: cim.Qualifiers{{Name: "Not_Null", Value: cim.Bool(true)}}, Default: cim.String("none")},
		}},
		{Name: "GW_Child", Superclass: "GW_Base", Properties: []cim.Property{{Name: "Extra", Type: cim.TypeString}}},
		{Name: "GW_Grand", Superclass: "GW_Child", Properties: []cim.Property{{Name: "Depth", Type: cim.TypeUint8}}},
		{Name: "GW_Single", Qualifiers: cim.Qualifiers{{Name: "Singleton", Value: cim.Bool(true)}}, Properties: []cim.Property{{Name: "V", Type: cim.TypeUint32}}},
		{Name: "GW_Abstract", Qualifiers: cim.Qualifiers{{Name: "Abstract", Value: cim.Bool(true)}}, Properties: []cim.Property{{Name: "K", Type: cim.TypeString, Qualifiers: key}}},
		{Name: "GW_Keyless", Properties: []cim.Property{{Name: "V", Type: cim.TypeUint32}}},
		{Name: "GW_Link", Qualifiers: cim.Qualifiers{{Name: "Association", Value: cim.Bool(true)}}, Properties: []cim.Property{
			{Name: "Left", Type: cim.TypeReference, RefClass: "GW_Base", Qualifiers: key},
			{Name: "Right", Type: cim.TypeReference, RefClass: "GW_Base", Qualifiers: key},
		}},
	}
}

// Setup puts the workload class and the static classes into svc's namespace.
func Setup(ctx context.Context, svc *wbem.Services) error {
	for _, c := range append([]*cim.Class{Class()}, StaticClasses()...) {
		if _, err := svc.PutClass(ctx, c, 0); err != nil {
			return err
		}
	}
	return nil
}
