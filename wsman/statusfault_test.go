package wsman_test

import (
	"bufio"
	"context"
	"os"
	"regexp"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/internal/workload"
	"github.com/gowbem/gowbem/internal/wsmantest"
	"github.com/gowbem/gowbem/wbem"
	"github.com/gowbem/gowbem/wsman"
)

// failingBackend fails every GetObject of an instance with the status in
// st, as a provider or the object manager would.
type failingBackend struct {
	wbem.Backend
	st atomic.Uint32
}

func (b *failingBackend) Do(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	if op.Kind == wbem.OpGetObject && strings.Contains(op.Path, "=") {
		return &cim.Error{Status: cim.Status(b.st.Load()), Description: "made to fail", Operation: "GetObject"}
	}
	return b.Backend.Do(ctx, op, w)
}

// faultKind is what a WS-Management client sees of a failed operation.
type faultKind struct {
	code, subcode, detail string
	http                  int
	winrm                 uint32 // WSManFault's Code; 0: the WBEM status itself (WinRM has no number)
}

// statusFaults is the audit of every failure status of WMI (cim's
// generated table, cim/statuscodes.txt): which WS-Management fault each one
// is. A status a request can cause is the sender's fault with the DSP0226
// subcode that says why; the service's own failures are s:Receiver.
var statusFaults = []struct {
	kind     faultKind
	statuses []cim.Status
}{
	{faultKind{"s:Sender", "wsa:DestinationUnreachable", "", 400, 2150858752}, []cim.Status{cim.WBEM_E_NOT_FOUND}},
	{faultKind{"s:Sender", "wsa:DestinationUnreachable", "InvalidResourceURI", 400, 2150858811}, []cim.Status{
		cim.WBEM_E_INVALID_CLASS, cim.WBEM_E_INVALID_NAMESPACE}},
	{faultKind{"s:Sender", "wsman:AccessDenied", "", 403, 5}, []cim.Status{
		cim.WBEM_E_ACCESS_DENIED, cim.WBEM_E_PRIVILEGE_NOT_HELD, cim.WBEM_E_ENCRYPTED_CONNECTION_REQUIRED,
		cim.WBEM_E_LOCAL_CREDENTIALS, cim.WBEMESS_E_AUTHZ_NOT_PRIVILEGED}},
	{faultKind{"s:Sender", "wsman:AlreadyExists", "", 400, 2150858803}, []cim.Status{
		cim.WBEM_E_ALREADY_EXISTS, cim.WBEM_E_PROVIDER_ALREADY_REGISTERED}},
	{faultKind{"s:Sender", "wsa:ActionNotSupported", "", 400, 2150858771}, []cim.Status{
		cim.WBEM_E_NOT_SUPPORTED, cim.WBEM_E_INVALID_METHOD, cim.WBEM_E_METHOD_NOT_IMPLEMENTED, cim.WBEM_E_METHOD_DISABLED,
		cim.WBEM_E_PROVIDER_NOT_CAPABLE, cim.WBEM_E_INVALID_OPERATION, cim.WBEM_E_ILLEGAL_OPERATION,
		cim.WBEM_E_VETO_PUT, cim.WBEM_E_VETO_DELETE}},
	{faultKind{"s:Sender", "wsman:InvalidSelectors", "InvalidValue", 400, 2150858845}, []cim.Status{cim.WBEM_E_INVALID_OBJECT_PATH}},
	{faultKind{"s:Sender", "wsman:InvalidSelectors", "AmbiguousSelectors", 400, 2150858813}, []cim.Status{cim.WBEM_E_AMBIGUOUS_OPERATION}},
	{faultKind{"s:Sender", "wsman:InvalidParameter", "", 400, 2150858810}, []cim.Status{cim.WBEM_E_INVALID_METHOD_PARAMETERS}},
	{faultKind{"s:Sender", "wsman:InvalidOptions", "", 400, 2150858809}, []cim.Status{
		cim.WBEM_E_INVALID_CONTEXT, cim.WBEM_E_UNSUPPORTED_PARAMETER, cim.WBEM_E_UNSUPPORTED_PUT_EXTENSION}},
	{faultKind{"s:Sender", "wsman:UnsupportedFeature", "Locale", 400, 2150858818}, []cim.Status{
		cim.WBEM_E_UNSUPPORTED_LOCALE, cim.WBEM_E_INVALID_LOCALE}},
	{faultKind{"s:Sender", "wsen:FilterDialectRequestedUnavailable", "", 400, 2150858777}, []cim.Status{cim.WBEM_E_INVALID_QUERY_TYPE}},
	{faultKind{"s:Sender", "wsen:CannotProcessFilter", "", 400, 2150858778}, []cim.Status{
		cim.WBEM_E_INVALID_QUERY, cim.WBEM_E_INVALID_SYNTAX, cim.WBEM_E_UNPARSABLE_QUERY, cim.WBEM_E_NOT_EVENT_CLASS,
		cim.WBEM_E_QUERY_NOT_IMPLEMENTED, cim.WBEM_E_MISSING_GROUP_WITHIN, cim.WBEM_E_MISSING_AGGREGATION_LIST,
		cim.WBEM_E_PROPERTY_NOT_AN_OBJECT, cim.WBEM_E_AGGREGATING_BY_OBJECT, cim.WBEM_E_INVALID_OPERATOR,
		cim.WBEMESS_E_REGISTRATION_TOO_BROAD, cim.WBEMESS_E_REGISTRATION_TOO_PRECISE}},
	{faultKind{"s:Sender", "wsman:EncodingLimit", "", 400, 2150858805}, []cim.Status{cim.WBEM_E_BUFFER_TOO_SMALL, cim.WBEM_E_TOO_MUCH_DATA}},
	{faultKind{"s:Sender", "wsman:QuotaLimit", "", 400, 2150858815}, []cim.Status{cim.WBEM_E_QUOTA_VIOLATION, cim.WBEM_E_CLIENT_TOO_SLOW}},
	{faultKind{"s:Receiver", "wsman:TimedOut", "", 500, 2150858793}, []cim.Status{cim.WBEM_E_TIMED_OUT, cim.WBEM_E_PROVIDER_TIMED_OUT}},
	{faultKind{"s:Receiver", "wsa:EndpointUnavailable", "", 500, 2150858772}, []cim.Status{
		cim.WBEM_E_SERVER_TOO_BUSY, cim.WBEM_E_RETRY_LATER, cim.WBEM_E_RESOURCE_CONTENTION, cim.WBEM_E_SHUTTING_DOWN,
		cim.WBEM_E_REFRESHER_BUSY, cim.WBEM_E_RERUN_COMMAND}},
	// What a request asks is wrong: a body of the wrong type or shape, a
	// class definition WMI refuses (every MOF compiler error).
	{faultKind{"s:Sender", "wxf:InvalidRepresentation", "InvalidValues", 400, 2150858773}, []cim.Status{
		cim.WBEM_E_TYPE_MISMATCH, cim.WBEM_E_INVALID_PARAMETER, cim.WBEM_E_INVALID_SUPERCLASS, cim.WBEM_E_INVALID_OBJECT,
		cim.WBEM_E_OVERRIDE_NOT_ALLOWED, cim.WBEM_E_PROPAGATED_QUALIFIER, cim.WBEM_E_PROPAGATED_PROPERTY,
		cim.WBEM_E_CANNOT_BE_KEY, cim.WBEM_E_INCOMPLETE_CLASS, cim.WBEM_E_NONDECORATED_OBJECT, cim.WBEM_E_READ_ONLY,
		cim.WBEM_E_CLASS_HAS_CHILDREN, cim.WBEM_E_CLASS_HAS_INSTANCES, cim.WBEM_E_ILLEGAL_NULL,
		cim.WBEM_E_INVALID_QUALIFIER_TYPE, cim.WBEM_E_INVALID_PROPERTY_TYPE, cim.WBEM_E_VALUE_OUT_OF_RANGE,
		cim.WBEM_E_CANNOT_BE_SINGLETON, cim.WBEM_E_INVALID_CIM_TYPE, cim.WBEM_E_SYSTEM_PROPERTY, cim.WBEM_E_INVALID_PROPERTY,
		cim.WBEM_E_PROPAGATED_METHOD, cim.WBEM_E_MISSING_PARAMETER_ID, cim.WBEM_E_INVALID_PARAMETER_ID,
		cim.WBEM_E_NONCONSECUTIVE_PARAMETER_IDS, cim.WBEM_E_PARAMETER_ID_ON_RETVAL, cim.WBEM_E_UNKNOWN_OBJECT_TYPE,
		cim.WBEM_E_INVALID_QUALIFIER, cim.WBEM_E_INVALID_DUPLICATE_PARAMETER, cim.WBEM_E_INVALID_FLAVOR,
		cim.WBEM_E_CIRCULAR_REFERENCE, cim.WBEM_E_UNSUPPORTED_CLASS_UPDATE, cim.WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE,
		cim.WBEM_E_CANNOT_CHANGE_INDEX_INHERITANCE, cim.WBEM_E_TOO_MANY_PROPERTIES, cim.WBEM_E_UPDATE_TYPE_MISMATCH,
		cim.WBEM_E_UPDATE_OVERRIDE_NOT_ALLOWED, cim.WBEM_E_UPDATE_PROPAGATED_METHOD, cim.WBEM_E_CANNOT_BE_ABSTRACT,
		cim.WBEM_E_AMENDED_OBJECT, cim.WBEM_E_NULL_SECURITY_DESCRIPTOR, cim.WBEM_E_INVALID_ASSOCIATION,
		cim.WBEM_E_PROPERTY_NAME_TOO_WIDE, cim.WBEM_E_CLASS_NAME_TOO_WIDE, cim.WBEM_E_METHOD_NAME_TOO_WIDE,
		cim.WBEM_E_QUALIFIER_NAME_TOO_WIDE, cim.WBEM_E_NO_KEY,
		cim.WBEMMOF_E_EXPECTED_QUALIFIER_NAME, cim.WBEMMOF_E_EXPECTED_SEMI, cim.WBEMMOF_E_EXPECTED_OPEN_BRACE,
		cim.WBEMMOF_E_EXPECTED_CLOSE_BRACE, cim.WBEMMOF_E_EXPECTED_CLOSE_BRACKET, cim.WBEMMOF_E_EXPECTED_CLOSE_PAREN,
		cim.WBEMMOF_E_ILLEGAL_CONSTANT_VALUE, cim.WBEMMOF_E_EXPECTED_TYPE_IDENTIFIER, cim.WBEMMOF_E_EXPECTED_OPEN_PAREN,
		cim.WBEMMOF_E_UNRECOGNIZED_TOKEN, cim.WBEMMOF_E_UNRECOGNIZED_TYPE, cim.WBEMMOF_E_EXPECTED_PROPERTY_NAME,
		cim.WBEMMOF_E_TYPEDEF_NOT_SUPPORTED, cim.WBEMMOF_E_UNEXPECTED_ALIAS, cim.WBEMMOF_E_UNEXPECTED_ARRAY_INIT,
		cim.WBEMMOF_E_INVALID_AMENDMENT_SYNTAX, cim.WBEMMOF_E_INVALID_DUPLICATE_AMENDMENT, cim.WBEMMOF_E_INVALID_PRAGMA,
		cim.WBEMMOF_E_INVALID_NAMESPACE_SYNTAX, cim.WBEMMOF_E_EXPECTED_CLASS_NAME, cim.WBEMMOF_E_TYPE_MISMATCH,
		cim.WBEMMOF_E_EXPECTED_ALIAS_NAME, cim.WBEMMOF_E_INVALID_CLASS_DECLARATION, cim.WBEMMOF_E_INVALID_INSTANCE_DECLARATION,
		cim.WBEMMOF_E_EXPECTED_DOLLAR, cim.WBEMMOF_E_CIMTYPE_QUALIFIER, cim.WBEMMOF_E_DUPLICATE_PROPERTY,
		cim.WBEMMOF_E_INVALID_NAMESPACE_SPECIFICATION, cim.WBEMMOF_E_OUT_OF_RANGE, cim.WBEMMOF_E_INVALID_FILE,
		cim.WBEMMOF_E_ALIASES_IN_EMBEDDED, cim.WBEMMOF_E_NULL_ARRAY_ELEM, cim.WBEMMOF_E_DUPLICATE_QUALIFIER,
		cim.WBEMMOF_E_EXPECTED_FLAVOR_TYPE, cim.WBEMMOF_E_INCOMPATIBLE_FLAVOR_TYPES, cim.WBEMMOF_E_MULTIPLE_ALIASES,
		cim.WBEMMOF_E_INCOMPATIBLE_FLAVOR_TYPES2, cim.WBEMMOF_E_NO_ARRAYS_RETURNED, cim.WBEMMOF_E_MUST_BE_IN_OR_OUT,
		cim.WBEMMOF_E_INVALID_FLAGS_SYNTAX, cim.WBEMMOF_E_EXPECTED_BRACE_OR_BAD_TYPE, cim.WBEMMOF_E_UNSUPPORTED_CIMV22_QUAL_VALUE,
		cim.WBEMMOF_E_UNSUPPORTED_CIMV22_DATA_TYPE, cim.WBEMMOF_E_INVALID_DELETEINSTANCE_SYNTAX, cim.WBEMMOF_E_INVALID_QUALIFIER_SYNTAX,
		cim.WBEMMOF_E_QUALIFIER_USED_OUTSIDE_SCOPE, cim.WBEMMOF_E_ERROR_INVALID_INCLUDE_FILE, cim.WBEMMOF_E_INVALID_DELETECLASS_SYNTAX}},
	// The service's own failures, and internal plumbing no request reaches.
	{faultKind{"s:Receiver", "wsman:InternalError", "", 500, 0}, []cim.Status{
		cim.WBEM_E_FAILED, cim.WBEM_E_PROVIDER_FAILURE, cim.WBEM_E_OUT_OF_MEMORY, cim.WBEM_E_NOT_AVAILABLE,
		cim.WBEM_E_CRITICAL_ERROR, cim.WBEM_E_INVALID_STREAM, cim.WBEM_E_PROVIDER_NOT_FOUND,
		cim.WBEM_E_INVALID_PROVIDER_REGISTRATION, cim.WBEM_E_PROVIDER_LOAD_FAILURE, cim.WBEM_E_INITIALIZATION_FAILURE,
		cim.WBEM_E_TRANSPORT_FAILURE, cim.WBEM_E_UNEXPECTED, cim.WBEM_E_CALL_CANCELLED, cim.WBEM_E_OUT_OF_DISK_SPACE,
		cim.WBEM_E_UNKNOWN_PACKET_TYPE, cim.WBEM_E_MARSHAL_VERSION_MISMATCH, cim.WBEM_E_MARSHAL_INVALID_SIGNATURE,
		cim.WBEM_E_BACKUP_RESTORE_WINMGMT_RUNNING, cim.WBEM_E_QUEUE_OVERFLOW, cim.WBEM_E_HANDLE_OUT_OF_DATE,
		cim.WBEM_E_CONNECTION_FAILED, cim.WBEM_E_INVALID_HANDLE_REQUEST, cim.WBEM_E_RESERVED_001, cim.WBEM_E_RESERVED_002,
		cim.WBEM_E_DATABASE_VER_MISMATCH, cim.WBEM_E_PROVIDER_SUSPENDED, cim.WBEM_E_SYNCHRONIZATION_REQUIRED,
		cim.WBEM_E_NO_SCHEMA, cim.WBEM_E_PROVIDER_NOT_REGISTERED, cim.WBEM_E_FATAL_TRANSPORT_ERROR,
		cim.WBEM_E_PROVIDER_DISABLED, cim.WBEM_E_UNINTERPRETABLE_PROVIDER_QUERY, cim.WBEMMOF_E_ERROR_CREATING_TEMP_FILE}},
}

// failureStatuses reads every failure status of cim's status table (the
// file statuscodes.go is generated from).
func failureStatuses(t *testing.T) map[cim.Status]string {
	t.Helper()
	f, err := os.Open("../cim/statuscodes.txt")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[cim.Status]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) < 2 || strings.HasPrefix(fields[0], "#") {
			continue
		}
		n, err := strconv.ParseUint(fields[1], 0, 32)
		if err != nil {
			t.Fatalf("statuscodes.txt: %q: %v", sc.Text(), err)
		}
		if st := cim.Status(n); st.Failed() {
			if st.Name() != fields[0] {
				t.Fatalf("statuscodes.txt names %s, the generated table %q: go generate ./cim", fields[0], st.Name())
			}
			out[st] = fields[0]
		}
	}
	if len(out) < 150 {
		t.Fatalf("only %d failure statuses read", len(out))
	}
	return out
}

var reSOAPCode = regexp.MustCompile(`<s:Code><s:Value>([^<]*)</s:Value>`)
var reFaultDetail = regexp.MustCompile(`<wsman:FaultDetail>[^<]*/faultDetail/([^<]*)</wsman:FaultDetail>`)

// Every failure status of the generated table, raised by the backend of a
// Get, comes back as the fault the audit above gives it: SOAP code,
// subcode, detail, HTTP status, WinRM's WSManFault Code (the WBEM status
// where WinRM has none) and the WBEM status itself in gw:WBEMStatus. Over
// gowbem's client each comes back as the same status.
func TestEveryStatusToFault(t *testing.T) {
	all := failureStatuses(t)
	want := map[cim.Status]faultKind{}
	for _, g := range statusFaults {
		for _, st := range g.statuses {
			if _, dup := want[st]; dup {
				t.Errorf("%s is listed twice", st.Name())
			}
			want[st] = g.kind
		}
	}
	for st, name := range all {
		if _, ok := want[st]; !ok {
			t.Errorf("%s (0x%08X) is not in the audit: decide which fault it is", name, uint32(st))
		}
	}
	b := &failingBackend{Backend: workload.NewObjectManager(&workload.Provider{N: 1})}
	srv := wsman.NewServer(b, wsman.Options{Authenticator: testAuthenticator(), ServerName: "testhost"})
	t.Cleanup(func() { srv.Close() })
	get := envelope(actGet, itemURI, selectors("Id", "0"), "")
	for st, k := range want {
		if _, ok := all[st]; !ok {
			t.Errorf("%s is in the audit but not in cim's table", st.Name())
			continue
		}
		b.st.Store(uint32(st))
		w := call(srv, testUser, testPass, get)
		body := w.Body.String()
		sub, code, stName := faultCodes(t, body)
		soap := ""
		if m := reSOAPCode.FindStringSubmatch(body); m != nil {
			soap = m[1]
		}
		detail := ""
		if m := reFaultDetail.FindStringSubmatch(body); m != nil {
			detail = m[1]
		}
		wantCode := k.winrm
		if wantCode == 0 {
			wantCode = uint32(st)
		}
		if soap != k.code || sub != k.subcode || detail != k.detail || w.Code != k.http || code != strconv.FormatUint(uint64(wantCode), 10) || stName != st.Name() {
			t.Errorf("%s: HTTP %d %s %s detail %q Code %s status %s; want HTTP %d %s %s detail %q Code %d",
				st.Name(), w.Code, soap, sub, detail, code, stName, k.http, k.code, k.subcode, k.detail, wantCode)
		}
	}

	// gowbem's client over loopback reads the same status back.
	hs := wsmantest.NewServer(srv, nil)
	t.Cleanup(hs.Close)
	svc, err := wbem.Connect(context.Background(), hs.URL+"/wsman", workload.Namespace, wbem.Credentials{User: testUser, Password: testPass})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { svc.Backend().(*wsman.Client).CloseIdleConnections() })
	for st := range want {
		b.st.Store(uint32(st))
		_, err := svc.GetObject(context.Background(), `GW_Item.Id=0`, 0)
		if got := cim.StatusOf(err); got != st {
			t.Errorf("%s came back to the client as %s (%v)", st.Name(), got.Name(), err)
		}
	}
}
