//go:build linux

package host

import "github.com/gowbem/gowbem/provider"

// The capabilities each provider means to have, checked by the compiler: a
// changed signature fails the build instead of silently turning a query
// push-down, a method or an association walk into WBEM_E_PROVIDER_NOT_CAPABLE
// at run time (the object manager finds these interfaces by type assertion).
var (
	_ provider.InstanceProvider = (*OperatingSystemProvider)(nil)
	_ provider.MethodProvider   = (*OperatingSystemProvider)(nil)

	_ provider.InstanceProvider = (*ComputerSystemProvider)(nil)

	_ provider.InstanceProvider = (*ProcessProvider)(nil)
	_ provider.QueryProvider    = (*ProcessProvider)(nil)
	_ provider.MethodProvider   = (*ProcessProvider)(nil)

	_ provider.InstanceProvider = (*LogicalDiskProvider)(nil)
	_ provider.MethodProvider   = (*LogicalDiskProvider)(nil)

	_ provider.InstanceProvider = (*ProcessorProvider)(nil)

	_ provider.InstanceProvider = (*ServiceProvider)(nil)
	_ provider.QueryProvider    = (*ServiceProvider)(nil)
	_ provider.MethodProvider   = (*ServiceProvider)(nil)

	_ provider.InstanceProvider    = (*listProvider)(nil)
	_ provider.InstanceProvider    = (*assocProvider)(nil)
	_ provider.AssociationProvider = (*assocProvider)(nil)

	_ provider.EventProvider = (*ProcessTraceProvider)(nil)
	_ provider.EventProvider = (*ServiceEventProvider)(nil)
	_ provider.EventProvider = (*VolumeEventProvider)(nil)
)
