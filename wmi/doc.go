// Package wmi is a wbem.Backend over Windows's own WMI, reached through its
// COM interfaces (IWbemLocator, IWbemServices, IEnumWbemClassObject,
// IWbemCallResult, IWbemClassObject), so that one Go program runs the same
// code against gowbem on Linux, a remote daemon, or the local WMI:
//
//	import _ "github.com/gowbem/gowbem/wmi" // registers "wmi"
//
//	svc, err := wbem.Connect(ctx, "wmi:", `root\cimv2`, wbem.Credentials{})
//	e, err := svc.ExecQuery(ctx, "WQL", "SELECT Name FROM Win32_Process",
//		wbem.WBEM_FLAG_RETURN_IMMEDIATELY|wbem.WBEM_FLAG_FORWARD_ONLY)
//
// "wmi:" is the local WMI; "wmi://server" (optionally with the namespace as
// the path, "wmi://server/root/cimv2") a remote one over DCOM with the
// credentials given.
//
// Every operation is issued semisynchronously (WBEM_FLAG_RETURN_IMMEDIATELY,
// and WBEM_FLAG_FORWARD_ONLY for enumerations) on an OS thread locked to the
// operation and joined to COM's multithreaded apartment. Enumerations are
// read with IEnumWbemClassObject::Next in batches of BatchSize with a
// timeout of PollInterval, each object converted and written into the
// stream's bounded queue as it comes, so memory stays flat in the result's
// size and the first object reaches the caller as soon as WMI has it. Close
// on the enumerator or cancelling the context releases the WMI enumerator
// (or the call result) within one PollInterval; package wbem builds the
// synchronous, bidirectional and asynchronous modes on that stream, as for
// every backend.
//
// Objects map faithfully: each property by its CIMTYPE (uint64 and sint64,
// which arrive as decimal BSTRs; uint16 and uint32, which arrive as VT_I4;
// datetimes and references as BSTRs; embedded objects as VT_UNKNOWN),
// arrays, qualifiers with their flavors (amended ones with
// WBEM_FLAG_USE_AMENDED_QUALIFIERS), methods and their parameters, and the
// system properties; back again for PutInstance and ExecMethod's
// in-parameters (GetMethod, SpawnInstance, Put). Failures are *cim.Error
// with WMI's status, the __ExtendedStatus detail WMI attached, and COM's
// own failures (E_ACCESSDENIED, RPC_E_*, RPC_S_*) mapped to WBEM statuses
// that say what happened.
//
// The package builds on every system; elsewhere than Windows, Connect with
// "wmi:" fails with WBEM_E_NOT_SUPPORTED.
//
// Not built: PutClass of a class with methods (WBEM_E_NOT_SUPPORTED),
// IWbemObjectSink (the asynchronous calls of package wbem run over the
// semisynchronous ones, which Microsoft recommends over sinks anyway).
package wmi
