package wsman

import (
	"bytes"
	"errors"
	"net/http"
	"strconv"
	"strings"

	"github.com/gowbem/gowbem/cim"
)

const (
	statusInvalidParameter  = cim.WBEM_E_INVALID_PARAMETER
	statusNotSupported      = cim.WBEM_E_NOT_SUPPORTED
	statusInvalidObjectPath = cim.WBEM_E_INVALID_OBJECT_PATH
)

// fault is a SOAP 1.2 fault with a DSP0226 subcode and the WBEM status
// behind it.
type fault struct {
	code       string // s:Sender, s:Receiver, s:MustUnderstand, s:VersionMismatch
	subcode    string // e.g. wsman:InvalidSelectors; "" for none
	detail     string // the fault detail after faultDetail/, e.g. InvalidResourceURI
	action     string // the fault's wsa:Action
	reason     string
	status     cim.Status
	ext        *cim.Error // the operation's extended status, if it came from one
	httpStatus int        // 0: 400 for Sender, 500 otherwise
	winrmCode  uint32     // WSManFault's Code when the subcode's is not WinRM's (see wsmanFaultCode)
}

func (f *fault) Error() string {
	s := f.code
	if f.subcode != "" {
		s += "/" + f.subcode
	}
	return s + ": " + f.reason
}

func faultMalformed(msg string) *fault {
	return &fault{code: "s:Sender", subcode: "wsman:SchemaValidationError", action: actFaultWSMan,
		reason: msg, status: statusInvalidParameter}
}

func faultAction(action string) *fault {
	return &fault{code: "s:Sender", subcode: "wsa:ActionNotSupported", action: actFaultAddressing,
		reason: "action " + strconv.Quote(action) + " is not supported by this service", status: statusNotSupported}
}

// faultDSP0201Only refuses what the resource of DSP0201 class definitions
// does not serve: it answers Get only (gowbem's own URIClassDefinition
// takes Put, Create, Delete and Enumerate of classes).
func faultDSP0201Only(action string) *fault {
	f := faultAction(action)
	f.reason += ": the resource " + URIClassDefinitionDSP0201 + " answers Get only; use " + URIClassDefinition + " to change or enumerate classes"
	return f
}

func faultResource(uri, why string) *fault {
	return &fault{code: "s:Sender", subcode: "wsa:DestinationUnreachable", detail: "InvalidResourceURI", action: actFaultAddressing,
		reason: "resource URI " + strconv.Quote(uri) + ": " + why, status: cim.WBEM_E_INVALID_CLASS}
}

func faultSelectors(detail, why string) *fault {
	return &fault{code: "s:Sender", subcode: "wsman:InvalidSelectors", detail: detail, action: actFaultWSMan,
		reason: why, status: statusInvalidObjectPath}
}

func faultSchema(why string) *fault {
	return &fault{code: "s:Sender", subcode: "wsman:SchemaValidationError", action: actFaultWSMan, reason: why, status: statusInvalidParameter}
}

func faultRepresentation(detail, why string, st cim.Status) *fault {
	return &fault{code: "s:Sender", subcode: "wxf:InvalidRepresentation", detail: detail, action: actFaultTransfer, reason: why, status: st}
}

func faultContext(why string) *fault {
	return &fault{code: "s:Receiver", subcode: "wsen:InvalidEnumerationContext", action: actFaultEnum, reason: why, status: statusInvalidParameter}
}

func faultTimedOut(why string) *fault {
	return &fault{code: "s:Receiver", subcode: "wsman:TimedOut", action: actFaultWSMan, reason: why, status: cim.WBEM_S_TIMEDOUT}
}

func faultEncodingLimit(detail, why string) *fault {
	return &fault{code: "s:Sender", subcode: "wsman:EncodingLimit", detail: detail, action: actFaultWSMan, reason: why, status: cim.WBEM_E_BUFFER_TOO_SMALL}
}

func faultQuota(why string) *fault {
	return &fault{code: "s:Sender", subcode: "wsman:QuotaLimit", action: actFaultWSMan, reason: why, status: cim.WBEM_E_QUOTA_VIOLATION}
}

func faultDialect(dialect string) *fault {
	return &fault{code: "s:Sender", subcode: "wsen:FilterDialectRequestedUnavailable", action: actFaultEnum,
		reason: "filter dialect " + strconv.Quote(dialect) + " is not supported; use " + DialectWQL + " or " + DialectSelector,
		status: cim.WBEM_E_INVALID_QUERY_TYPE}
}

// faultFromError maps an operation's WBEM failure to the WS-Management fault
// DSP0227 gives it, keeping the status for the detail.
func faultFromError(err error) *fault {
	var f *fault
	if errors.As(err, &f) {
		return f
	}
	e := cim.AsError(err)
	out := &fault{code: "s:Sender", reason: e.Description, status: e.Status, ext: e, action: actFaultWSMan}
	if out.reason == "" {
		out.reason = e.Status.Text()
	}
	switch e.Status {
	case cim.WBEM_E_NOT_FOUND:
		// An instance the selectors name does not exist: WinRM's
		// ERROR_WSMAN_RESOURCE_NOT_FOUND, no InvalidResourceURI (the URI
		// is good).
		out.subcode, out.action, out.winrmCode = "wsa:DestinationUnreachable", actFaultAddressing, errWSManResourceNotFound
	case cim.WBEM_E_INVALID_CLASS, cim.WBEM_E_INVALID_NAMESPACE:
		out.subcode, out.detail, out.action = "wsa:DestinationUnreachable", "InvalidResourceURI", actFaultAddressing
	case cim.WBEM_E_ACCESS_DENIED, cim.WBEM_E_PRIVILEGE_NOT_HELD, cim.WBEM_E_ENCRYPTED_CONNECTION_REQUIRED,
		cim.WBEM_E_LOCAL_CREDENTIALS, cim.WBEMESS_E_AUTHZ_NOT_PRIVILEGED:
		// Authenticated but refused: 403 (401 is for credentials).
		out.subcode, out.httpStatus = "wsman:AccessDenied", http.StatusForbidden
	case cim.WBEM_E_ALREADY_EXISTS, cim.WBEM_E_PROVIDER_ALREADY_REGISTERED:
		out.subcode = "wsman:AlreadyExists"
	case cim.WBEM_E_NOT_SUPPORTED, cim.WBEM_E_INVALID_METHOD, cim.WBEM_E_METHOD_NOT_IMPLEMENTED, cim.WBEM_E_METHOD_DISABLED,
		cim.WBEM_E_PROVIDER_NOT_CAPABLE, cim.WBEM_E_INVALID_OPERATION, cim.WBEM_E_ILLEGAL_OPERATION,
		cim.WBEM_E_VETO_PUT, cim.WBEM_E_VETO_DELETE:
		// What this class or its provider does not do (a Put on a class
		// whose provider cannot modify instances, or vetoes it): the
		// request's fault.
		out.subcode, out.action = "wsa:ActionNotSupported", actFaultAddressing
	case cim.WBEM_E_INVALID_OBJECT_PATH:
		out.subcode, out.detail = "wsman:InvalidSelectors", "InvalidValue"
	case cim.WBEM_E_AMBIGUOUS_OPERATION:
		out.subcode, out.detail = "wsman:InvalidSelectors", "AmbiguousSelectors"
	case cim.WBEM_E_INVALID_METHOD_PARAMETERS:
		out.subcode = "wsman:InvalidParameter"
	case cim.WBEM_E_INVALID_CONTEXT, cim.WBEM_E_UNSUPPORTED_PARAMETER, cim.WBEM_E_UNSUPPORTED_PUT_EXTENSION:
		// WMI's context and flags travel as options (gowbem_Flags).
		out.subcode = "wsman:InvalidOptions"
	case cim.WBEM_E_UNSUPPORTED_LOCALE, cim.WBEM_E_INVALID_LOCALE:
		out.subcode, out.detail = "wsman:UnsupportedFeature", "Locale"
	case cim.WBEM_E_INVALID_QUERY_TYPE:
		out.subcode, out.action = "wsen:FilterDialectRequestedUnavailable", actFaultEnum
	case cim.WBEM_E_INVALID_QUERY, cim.WBEM_E_INVALID_SYNTAX, cim.WBEM_E_UNPARSABLE_QUERY, cim.WBEM_E_NOT_EVENT_CLASS,
		cim.WBEM_E_QUERY_NOT_IMPLEMENTED, cim.WBEM_E_MISSING_GROUP_WITHIN, cim.WBEM_E_MISSING_AGGREGATION_LIST,
		cim.WBEM_E_PROPERTY_NOT_AN_OBJECT, cim.WBEM_E_AGGREGATING_BY_OBJECT, cim.WBEM_E_INVALID_OPERATOR,
		cim.WBEMESS_E_REGISTRATION_TOO_BROAD, cim.WBEMESS_E_REGISTRATION_TOO_PRECISE:
		out.subcode, out.action = "wsen:CannotProcessFilter", actFaultEnum
	case cim.WBEM_E_BUFFER_TOO_SMALL, cim.WBEM_E_TOO_MUCH_DATA:
		out.subcode = "wsman:EncodingLimit"
	case cim.WBEM_E_TIMED_OUT, cim.WBEM_E_PROVIDER_TIMED_OUT:
		out.code, out.subcode = "s:Receiver", "wsman:TimedOut"
	case cim.WBEM_E_QUOTA_VIOLATION, cim.WBEM_E_CLIENT_TOO_SLOW:
		// The caller's own limits: its contexts, or a consumer that
		// reads too slowly.
		out.subcode = "wsman:QuotaLimit"
	case cim.WBEM_E_SERVER_TOO_BUSY, cim.WBEM_E_RETRY_LATER, cim.WBEM_E_RESOURCE_CONTENTION, cim.WBEM_E_SHUTTING_DOWN,
		cim.WBEM_E_REFRESHER_BUSY, cim.WBEM_E_RERUN_COMMAND:
		// The service cannot serve now; the same request may work later.
		out.code, out.subcode, out.action = "s:Receiver", "wsa:EndpointUnavailable", actFaultAddressing
	default:
		if serverStatus(e.Status) {
			out.code, out.subcode = "s:Receiver", "wsman:InternalError"
		} else {
			// What the request asked is wrong (a body of the wrong type, a
			// name too long, a missing superclass, a read-only
			// property…): the client's fault.
			out.subcode, out.detail, out.action = "wxf:InvalidRepresentation", "InvalidValues", actFaultTransfer
		}
	}
	return out
}

// serverStatus reports whether a failure is the service's, not the
// request's: the service failed, or is not in a state to serve.
func serverStatus(s cim.Status) bool {
	switch s {
	case cim.WBEM_E_FAILED, cim.WBEM_E_PROVIDER_FAILURE, cim.WBEM_E_OUT_OF_MEMORY, cim.WBEM_E_CRITICAL_ERROR,
		cim.WBEM_E_NOT_AVAILABLE, cim.WBEM_E_INVALID_STREAM, cim.WBEM_E_PROVIDER_NOT_FOUND,
		cim.WBEM_E_INVALID_PROVIDER_REGISTRATION, cim.WBEM_E_PROVIDER_LOAD_FAILURE, cim.WBEM_E_INITIALIZATION_FAILURE,
		cim.WBEM_E_TRANSPORT_FAILURE, cim.WBEM_E_UNEXPECTED,
		cim.WBEM_E_CALL_CANCELLED, cim.WBEM_E_OUT_OF_DISK_SPACE,
		cim.WBEM_E_BACKUP_RESTORE_WINMGMT_RUNNING, cim.WBEM_E_QUEUE_OVERFLOW, cim.WBEM_E_CONNECTION_FAILED,
		cim.WBEM_E_DATABASE_VER_MISMATCH, cim.WBEM_E_PROVIDER_SUSPENDED, cim.WBEM_E_PROVIDER_DISABLED,
		cim.WBEM_E_FATAL_TRANSPORT_ERROR,
		// Internal plumbing a request cannot reach: marshalling, handles,
		// provider registration, reserved codes.
		cim.WBEM_E_UNKNOWN_PACKET_TYPE, cim.WBEM_E_MARSHAL_VERSION_MISMATCH, cim.WBEM_E_MARSHAL_INVALID_SIGNATURE,
		cim.WBEM_E_HANDLE_OUT_OF_DATE, cim.WBEM_E_INVALID_HANDLE_REQUEST, cim.WBEM_E_RESERVED_001, cim.WBEM_E_RESERVED_002,
		cim.WBEM_E_SYNCHRONIZATION_REQUIRED, cim.WBEM_E_NO_SCHEMA, cim.WBEM_E_PROVIDER_NOT_REGISTERED,
		cim.WBEM_E_UNINTERPRETABLE_PROVIDER_QUERY, cim.WBEMMOF_E_ERROR_CREATING_TEMP_FILE:
		return true
	}
	return !s.Failed() || s.Name() == "" // not a failure, or one we do not know
}

// writeFaultBody writes the s:Fault element.
func writeFaultBody(w *bytes.Buffer, f *fault, machine string) {
	w.WriteString("<s:Fault><s:Code><s:Value>")
	w.WriteString(f.code)
	w.WriteString("</s:Value>")
	if f.subcode != "" {
		w.WriteString("<s:Subcode><s:Value>")
		w.WriteString(f.subcode)
		w.WriteString("</s:Value></s:Subcode>")
	}
	w.WriteString(`</s:Code><s:Reason><s:Text xml:lang="en-US">`)
	escapeText(w, f.reason)
	w.WriteString("</s:Text></s:Reason><s:Detail>")
	if f.detail != "" {
		elem(w, "wsman:FaultDetail", faultDetailPrefix+f.detail)
	}
	st := f.status
	code := strconv.FormatUint(uint64(st), 10)
	w.WriteString(`<f:WSManFault xmlns:f="` + nsMSFault + `" Code="` + strconv.FormatUint(uint64(f.wsmanFaultCode()), 10) + `" Machine="`)
	escapeAttr(w, machine)
	w.WriteString(`"><f:Message>`)
	escapeText(w, f.reason)
	w.WriteString("</f:Message></f:WSManFault>")
	w.WriteString(`<gw:WBEMStatus Code="` + code + `" Name="` + st.Name() + `" CIMStatusCode="` + strconv.Itoa(int(st.CIMStatus())) + `"`)
	if e := f.ext; e != nil {
		for _, a := range [...]struct{ n, v string }{{"Operation", e.Operation}, {"Parameter", e.Parameter}, {"Provider", e.Provider}} {
			if a.v != "" {
				w.WriteString(" " + a.n + `="`)
				escapeAttr(w, a.v)
				w.WriteByte('"')
			}
		}
	}
	w.WriteByte('>')
	escapeText(w, f.reason)
	w.WriteString("</gw:WBEMStatus></s:Detail></s:Fault>")
}

// errorFromFault turns a fault received by the client into the WBEM error
// the server reported, or a best guess from the subcode when the server is
// not gowbem.
func errorFromFault(body *node) *cim.Error {
	f := body
	reason := strings.TrimSpace(f.child(nsSOAP, "Reason").child(nsSOAP, "Text").Text)
	code := f.child(nsSOAP, "Code")
	sub := code.child(nsSOAP, "Subcode").child(nsSOAP, "Value").text()
	detail := f.child(nsSOAP, "Detail")
	if ws := detail.child(NamespaceGowbem, "WBEMStatus"); ws != nil {
		c, _ := ws.attr("", "Code")
		n, _ := strconv.ParseUint(c, 10, 32)
		e := &cim.Error{Status: cim.Status(n), Description: ws.Text}
		e.Operation, _ = ws.attr("", "Operation")
		e.Parameter, _ = ws.attr("", "Parameter")
		e.Provider, _ = ws.attr("", "Provider")
		return e
	}
	st := cim.WBEM_E_FAILED
	if ms := detail.child(nsMSFault, "WSManFault"); ms != nil {
		c, _ := ms.attr("", "Code")
		if n, err := strconv.ParseUint(c, 10, 32); err == nil {
			if cim.Status(n).Name() != "" {
				st = cim.Status(n)
			} else if s, ok := winrmStatus(uint32(n)); ok {
				st = s
			}
		}
	}
	if st == cim.WBEM_E_FAILED && detail != nil {
		// DSP0227: a CIM_Error instance (OMI_Error, MSFT_WmiError) with the
		// CIM status, and WMI's own status in MSFT_WmiError.error_Code.
		for _, k := range detail.Kids {
			if c := k.child("", "error_Code").text(); c != "" {
				if n, err := strconv.ParseUint(c, 10, 32); err == nil && cim.Status(n).Name() != "" && cim.Status(n).Failed() {
					st = cim.Status(n)
					break
				}
			}
			if c := k.child("", "CIMStatusCode").text(); c != "" {
				if n, err := strconv.Atoi(c); err == nil && n > 0 {
					st = cim.CIMStatus(n).Status()
					if reason == "" {
						reason = k.child("", "Message").text()
					}
					break
				}
			}
		}
	}
	if st == cim.WBEM_E_FAILED {
		_, local, _ := strings.Cut(sub, ":")
		switch local {
		case "DestinationUnreachable":
			st = cim.WBEM_E_NOT_FOUND
		case "EndpointUnavailable":
			st = cim.WBEM_E_SERVER_TOO_BUSY
		case "AccessDenied":
			st = cim.WBEM_E_ACCESS_DENIED
		case "AlreadyExists":
			st = cim.WBEM_E_ALREADY_EXISTS
		case "ActionNotSupported", "UnsupportedFeature", "FilterDialectRequestedUnavailable", "FilteringNotSupported":
			st = cim.WBEM_E_NOT_SUPPORTED
		case "InvalidSelectors":
			st = cim.WBEM_E_INVALID_OBJECT_PATH
		case "InvalidParameter", "InvalidRepresentation", "SchemaValidationError", "InvalidOptions", "InvalidEnumerationContext":
			st = cim.WBEM_E_INVALID_PARAMETER
		case "CannotProcessFilter":
			st = cim.WBEM_E_INVALID_QUERY
		case "TimedOut":
			st = cim.WBEM_E_TIMED_OUT
		case "QuotaLimit":
			st = cim.WBEM_E_QUOTA_VIOLATION
		case "EncodingLimit":
			st = cim.WBEM_E_BUFFER_TOO_SMALL
		}
	}
	if reason == "" {
		reason = sub
	}
	return &cim.Error{Status: st, Description: reason}
}

// faultDropped answers a Pull whose client went away while it waited: nobody
// reads the answer, and the enumeration has been released.
func faultDropped() *fault {
	return &fault{code: "s:Receiver", subcode: "wsman:InternalError", action: actFaultWSMan,
		reason: "the client went away during the request; its enumeration was released", status: cim.WBEM_E_CALL_CANCELLED}
}

// WinRM's numbers for its faults (ERROR_WSMAN_* of MS-WSMV and wsmerror.h),
// which WinRM puts in WSManFault's Code and clients such as pywinrm test:
// pywinrm retries a Receive only on ERROR_WSMAN_OPERATION_TIMEDOUT. A fault
// with a detail WinRM numbers separately is looked up as "subcode detail".
const (
	errWSManOperationTimedOut = 2150858793 // 0x80338029
	errWSManAccessDenied      = 5          // ERROR_ACCESS_DENIED: WinRM's code for wsman:AccessDenied
	errWSManResourceNotFound  = 2150858752 // 0x80338000: the URI is good, no instance has those selectors
)

// winrmCode returns WinRM's fault number for a fault's subcode, or its
// subcode and detail ("wsa:DestinationUnreachable InvalidResourceURI").
func winrmCode(key string) (uint32, bool) {
	switch key {
	case "s:VersionMismatch": // ERROR_WSMAN_SOAP_VERSION_MISMATCH
		return 2150858765, true
	case "wsa:InvalidMessageInformationHeader":
		return 2150858767, true
	case "s:MustUnderstand":
		return 2150858768, true
	case "wsa:MessageInformationHeaderRequired":
		return 2150858769, true
	case "wsa:DestinationUnreachable":
		return 2150858770, true
	case "wsa:DestinationUnreachable InvalidResourceURI": // ERROR_WSMAN_INVALID_RESOURCE_URI
		return 2150858811, true
	case "wsa:ActionNotSupported":
		return 2150858771, true
	case "wsa:EndpointUnavailable":
		return 2150858772, true
	case "wxf:InvalidRepresentation":
		return 2150858773, true
	case "wsen:InvalidExpirationTime":
		return 2150858774, true
	case "wsman:UnsupportedFeature ExpirationTime":
		return 2150858775, true
	case "wsen:FilteringNotSupported":
		return 2150858776, true
	case "wsen:FilterDialectRequestedUnavailable":
		return 2150858777, true
	case "wsen:CannotProcessFilter":
		return 2150858778, true
	case "wsen:InvalidEnumerationContext":
		return 2150858779, true
	case "wsen:TimedOut":
		return 2150858780, true
	case "wsen:UnableToRenew":
		return 2150858781, true
	case "wsen:UnsupportedExpirationType": // ERROR_WSMAN_ENUMERATE_UNSUPPORTED_EXPIRATION_TYPE
		return 2150859036, true
	case "wsman:TimedOut":
		return errWSManOperationTimedOut, true
	case "wsman:Concurrency":
		return 2150858802, true
	case "wsman:AlreadyExists":
		return 2150858803, true
	case "wsman:EncodingLimit":
		return 2150858805, true
	case "wsman:EncodingLimit MaxEnvelopeSize": // ERROR_WSMAN_MAX_ENVELOPE_SIZE_EXCEEDED
		return 2150858824, true
	case "wsman:EncodingLimit MinimumEnvelopeLimit": // ERROR_WSMAN_MIN_ENVELOPE_SIZE
		return 2150858878, true
	case "wsman:EncodingLimit ServiceEnvelopeLimit": // ERROR_WSMAN_SERVER_ENVELOPE_LIMIT
		return 2150858825, true
	case "wsman:AccessDenied":
		return errWSManAccessDenied, true
	case "wsman:InvalidOptions":
		return 2150858809, true
	case "wsman:InvalidParameter":
		return 2150858810, true
	case "wsman:InvalidSelectors":
		return 2150858813, true
	case "wsman:InvalidSelectors InsufficientSelectors":
		return 2150858842, true
	case "wsman:InvalidSelectors UnexpectedSelectors":
		return 2150858843, true
	case "wsman:InvalidSelectors TypeMismatch":
		return 2150858844, true
	case "wsman:InvalidSelectors InvalidValue":
		return 2150858845, true
	case "wsman:InvalidSelectors DuplicateSelectors":
		return 2150858847, true
	case "wsman:QuotaLimit":
		return 2150858815, true
	case "wsman:SchemaValidationError":
		return 2150858817, true
	case "wsman:UnsupportedFeature":
		return 2150858818, true
	case "wsman:UnsupportedFeature FilteringRequired":
		return 2150858831, true
	case "wsmb:PolymorphismModeNotSupported":
		return 2150859063, true
	}
	return 0, false
}

// wsmanFaultCode is the Code of a fault's WSManFault: WinRM's number for
// it, or the WBEM status where WinRM has none (a provider's failure, which
// WinRM reports with WMI's status too).
func (f *fault) wsmanFaultCode() uint32 {
	if f.winrmCode != 0 {
		return f.winrmCode
	}
	if f.detail != "" {
		if c, ok := winrmCode(f.subcode + " " + f.detail); ok {
			return c
		}
	}
	if c, ok := winrmCode(f.subcode); ok {
		return c
	}
	if f.subcode == "" {
		if c, ok := winrmCode(f.code); ok {
			return c
		}
	}
	return uint32(f.status)
}

// winrmStatus maps WinRM's fault numbers back to the WBEM status that best
// says the same, for a client of a server that tells no WBEM status.
func winrmStatus(n uint32) (cim.Status, bool) {
	switch n {
	case errWSManOperationTimedOut, 2150858780:
		return cim.WBEM_E_TIMED_OUT, true
	case errWSManAccessDenied:
		return cim.WBEM_E_ACCESS_DENIED, true
	case 2150858770, errWSManResourceNotFound:
		return cim.WBEM_E_NOT_FOUND, true
	case 2150858811:
		return cim.WBEM_E_INVALID_CLASS, true
	case 2150858772:
		return cim.WBEM_E_SERVER_TOO_BUSY, true
	case 2150858809, 2150858810, 2150858773, 2150858779:
		return cim.WBEM_E_INVALID_PARAMETER, true
	case 2150858771, 2150858818:
		return cim.WBEM_E_NOT_SUPPORTED, true
	case 2150858803:
		return cim.WBEM_E_ALREADY_EXISTS, true
	case 2150858813, 2150858842, 2150858843, 2150858845, 2150858847:
		return cim.WBEM_E_INVALID_OBJECT_PATH, true
	case 2150858778:
		return cim.WBEM_E_INVALID_QUERY, true
	case 2150858777:
		return cim.WBEM_E_INVALID_QUERY_TYPE, true
	case 2150858815:
		return cim.WBEM_E_QUOTA_VIOLATION, true
	case 2150858805, 2150858824:
		return cim.WBEM_E_BUFFER_TOO_SMALL, true
	}
	return 0, false
}
