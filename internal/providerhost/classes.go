package providerhost

import "github.com/gowbem/gowbem/cim"

// RegistrationClasses are WMI's provider registration classes, which the
// daemon puts in every namespace (cimom.WithSystemClasses): a __Win32Provider instance registers a provider (with
// gowbem's CommandLine instead of a COM CLSID, and the account and resource
// limits of its process), and instances of __InstanceProviderRegistration,
// __MethodProviderRegistration and __EventProviderRegistration whose Provider
// refers to it say what it serves. The Registry reads them;
// docs/providers.md describes each property.
func RegistrationClasses() []*cim.Class {
	abstract := cim.Qualifiers{{Name: "Abstract", Value: cim.Bool(true)}}
	key := cim.Qualifiers{{Name: "Key", Value: cim.Bool(true)}}
	prop := func(name string, t cim.Type) cim.Property { return cim.Property{Name: name, Type: t} }
	return []*cim.Class{
		{Name: "__Provider", Superclass: "__SystemClass", Qualifiers: abstract, Properties: []cim.Property{
			{Name: "Name", Type: cim.TypeString, Qualifiers: key}}},
		{Name: "__Win32Provider", Superclass: "__Provider", Properties: []cim.Property{
			prop("CLSID", cim.TypeString),                      // WMI's; gowbem refuses it in favour of CommandLine
			prop("CommandLine", cim.TypeString),                // the executable (absolute path) and its arguments
			prop("HostingModel", cim.TypeString),               // SelfHost (default), SharedHost, Decoupled, WmiCore, or WMI's names
			prop("User", cim.TypeString),                       // the account to run as when the daemon is root
			prop("OperationTimeoutInterval", cim.TypeDatetime), // per-call timeout (interval)
			prop("UnloadTimeout", cim.TypeDatetime),            // idle time before the process stops (interval)
			prop("MemoryLimit", cim.TypeUint64),                // RLIMIT_AS in bytes; 0 none
			prop("OpenFilesLimit", cim.TypeUint32),             // RLIMIT_NOFILE; 0 the daemon's
		}},
		{Name: "__ProviderRegistration", Superclass: "__SystemClass", Qualifiers: abstract, Properties: []cim.Property{
			{Name: "Provider", Type: cim.TypeReference, RefClass: "__Provider", Qualifiers: key}}},
		{Name: "__ObjectProviderRegistration", Superclass: "__ProviderRegistration", Qualifiers: abstract, Properties: []cim.Property{
			prop("SupportsGet", cim.TypeBoolean), prop("SupportsPut", cim.TypeBoolean),
			prop("SupportsDelete", cim.TypeBoolean), prop("SupportsEnumeration", cim.TypeBoolean),
			prop("QuerySupportLevels", cim.TypeString.ArrayOf())}},
		{Name: "__InstanceProviderRegistration", Superclass: "__ObjectProviderRegistration"},
		{Name: "__MethodProviderRegistration", Superclass: "__ProviderRegistration"},
		{Name: "__EventProviderRegistration", Superclass: "__ProviderRegistration", Properties: []cim.Property{
			prop("EventQueryList", cim.TypeString.ArrayOf())}},
	}
}
