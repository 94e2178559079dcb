package wmi

import (
	"fmt"

	"github.com/gowbem/gowbem/cim"
)

// comFailures maps COM's and RPC's own HRESULTs, which WMI passes through
// unchanged, to the WBEM status that says the same, with a description.
var comFailures = map[uint32]struct {
	status cim.Status
	text   string
}{
	0x80070005: {cim.WBEM_E_ACCESS_DENIED, "access denied (E_ACCESSDENIED): the caller lacks the rights, or DCOM refused the connection"},
	0x8007000E: {cim.WBEM_E_OUT_OF_MEMORY, "out of memory (E_OUTOFMEMORY)"},
	0x80070057: {cim.WBEM_E_INVALID_PARAMETER, "invalid argument (E_INVALIDARG)"},
	0x80004001: {cim.WBEM_E_NOT_SUPPORTED, "not implemented by this WMI (E_NOTIMPL)"},
	0x80004002: {cim.WBEM_E_NOT_SUPPORTED, "interface not supported (E_NOINTERFACE)"},
	0x80004003: {cim.WBEM_E_INVALID_PARAMETER, "invalid pointer (E_POINTER)"},
	0x80004005: {cim.WBEM_E_FAILED, "unspecified failure (E_FAIL)"},
	0x8000FFFF: {cim.WBEM_E_UNEXPECTED, "unexpected failure (E_UNEXPECTED)"},
	0x80040154: {cim.WBEM_E_NOT_AVAILABLE, "WMI's COM class is not registered (REGDB_E_CLASSNOTREG): WMI is not installed"},
	0x800401F0: {cim.WBEM_E_FAILED, "COM is not initialised on this thread (CO_E_NOTINITIALIZED)"},
	0x80010106: {cim.WBEM_E_FAILED, "the thread is in another COM apartment (RPC_E_CHANGED_MODE)"},
	0x80010108: {cim.WBEM_E_TRANSPORT_FAILURE, "the WMI object was disconnected from its server (RPC_E_DISCONNECTED)"},
	0x80010002: {cim.WBEM_E_CALL_CANCELLED, "the call was cancelled (RPC_E_CALL_CANCELED)"},
	0x8001011F: {cim.WBEM_E_TIMED_OUT, "the call timed out (RPC_E_TIMEOUT)"},
	0x800706BA: {cim.WBEM_E_TRANSPORT_FAILURE, "the RPC server is unavailable (RPC_S_SERVER_UNAVAILABLE): the host is unreachable, or a firewall blocks DCOM"},
	0x800706BE: {cim.WBEM_E_TRANSPORT_FAILURE, "the remote procedure call failed (RPC_S_CALL_FAILED)"},
	0x800706BF: {cim.WBEM_E_TRANSPORT_FAILURE, "the remote procedure call failed and did not execute (RPC_S_CALL_FAILED_DNE)"},
	0x80070721: {cim.WBEM_E_ACCESS_DENIED, "a security package failed (RPC_S_SEC_PKG_ERROR): authentication did not succeed"},
	0x8007052E: {cim.WBEM_E_ACCESS_DENIED, "the user name or password is wrong (ERROR_LOGON_FAILURE)"},
}

// hresultError turns a failed HRESULT into a *cim.Error: a WBEM status keeps
// its code (and WMI's description when text is given), a COM or RPC failure
// becomes the WBEM status that says the same, anything else WBEM_E_FAILED
// with the HRESULT in the description.
func hresultError(op string, hr uint32, text string) *cim.Error {
	e := &cim.Error{Operation: op}
	if f, ok := comFailures[hr]; ok {
		e.Status, e.Description = f.status, f.text
		return e
	}
	switch {
	case hr>>16 == 0x8004 && cim.Status(hr).Name() != "":
		e.Status = cim.Status(hr)
	case hr>>16 == 0x8004:
		e.Status = cim.Status(hr) // a WMI code gowbem does not name: keep it
	default:
		e.Status = cim.WBEM_E_FAILED
		if text == "" {
			text = fmt.Sprintf("HRESULT 0x%08X", hr)
		} else {
			text = fmt.Sprintf("%s (HRESULT 0x%08X)", text, hr)
		}
	}
	if text == "" {
		text = e.Status.Text()
	}
	e.Description = text
	return e
}
