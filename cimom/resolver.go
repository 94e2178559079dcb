package cimom

import (
	"context"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
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

// WithSystemClasses adds system classes (names starting with "__") to every
// namespace, after the object manager's own: to those that exist when New
// runs where they are missing, and to every namespace made later (by
// __NAMESPACE or a MOF's #pragma namespace). The daemon adds the provider
// registration classes of internal/providerhost. Parents come before their
// subclasses.
func WithSystemClasses(decls ...*cim.Class) Option {
	return func(om *ObjectManager) { om.extraSystem = append(om.extraSystem, decls...) }
}

// ensureExtraClasses adds extra (WithSystemClasses) to ns and its
// descendants where they are missing.
func ensureExtraClasses(tx repository.Tx, ns string, extra []*cim.Class) error {
	if len(extra) == 0 {
		return nil
	}
	if err := ensureClasses(tx, ns, extra); err != nil {
		return err
	}
	children, err := tx.Namespaces(ns)
	if err != nil {
		return err
	}
	for _, child := range children {
		if err := ensureExtraClasses(tx, child, extra); err != nil {
			return err
		}
	}
	return nil
}

// lookup returns the provider name of namespace ns: one registered in Go,
// else the resolver's; nil when there is none.
func (om *ObjectManager) lookup(ctx context.Context, ns, name string) (any, error) {
	if p := om.provider(name); p != nil || om.resolver == nil {
		return p, nil
	}
	return om.resolver.ResolveProvider(ctx, ns, name)
}
