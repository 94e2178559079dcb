package cimom

import (
	"context"

	"github.com/gowbem/gowbem/cim"
)

// ProviderResolver finds the providers of names the object manager was not
// given in Go, e.g. providers registered in the repository and served out of
// process (internal/providerhost). It returns nil, nil when it knows no such
// provider.
type ProviderResolver interface {
	ResolveProvider(ctx context.Context, namespace, name string) (any, error)
}

// WithProviderResolver asks r for the providers not registered in Go.
func WithProviderResolver(r ProviderResolver) Option {
	return func(om *ObjectManager) { om.resolver = r }
}

// WithSystemClasses adds system classes (names starting with "__") to the
// namespaces root and root\cimv2, after the object manager's own: the
// daemon adds the provider registration classes of internal/providerhost.
// Parents come before their subclasses.
func WithSystemClasses(decls ...*cim.Class) Option {
	return func(om *ObjectManager) { om.extraSystem = append(om.extraSystem, decls...) }
}

// lookup returns the provider name of namespace ns: one registered in Go,
// else the resolver's; nil when there is none.
func (om *ObjectManager) lookup(ctx context.Context, ns, name string) (any, error) {
	if p := om.provider(name); p != nil || om.resolver == nil {
		return p, nil
	}
	return om.resolver.ResolveProvider(ctx, ns, name)
}
