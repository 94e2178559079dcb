// Package cimxml speaks CIM-XML (DMTF DSP0200, CIM operations over HTTP,
// with DSP0201's XML representation of CIM): a server in front of any
// wbem.Backend, and a client backend that wbem.Connect uses for URLs
// ending in /cimom.
//
// # Server
//
// NewServer returns an http.Handler for POST and M-POST to /cimom (ports
// 5988 and 5989 by convention). It serves every intrinsic method of DSP0200
// §5.3.2 — GetClass, EnumerateClasses, EnumerateClassNames, GetInstance,
// EnumerateInstances, EnumerateInstanceNames, CreateInstance,
// ModifyInstance (with PropertyList), DeleteInstance, CreateClass,
// ModifyClass, DeleteClass, Associators, AssociatorNames, References,
// ReferenceNames (as WQL's ASSOCIATORS OF and REFERENCES OF), ExecQuery
// (WQL; another language gets CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED),
// GetProperty, SetProperty, and the qualifier declaration methods
// GetQualifier, SetQualifier, DeleteQualifier and EnumerateQualifiers
// (DSP0201's QUALIFIER.DECLARATION, over the backend's OpGetQualifier and
// its kin: the object manager stores them per namespace; a backend that
// keeps none gets CIM_ERR_NOT_SUPPORTED) — and extrinsic method calls on
// instance and class paths, whose parameters are typed by the method's
// declaration.
//
// # Indications
//
// With Options.Indications the server keeps DSP1054's subscription objects,
// made with CreateInstance and read back with GetInstance,
// EnumerateInstances(Names) and DeleteInstance in any namespace:
// CIM_IndicationFilter (Name, Query in WQL, SourceNamespaces — each
// watched, up to MaxSourceNamespaces, as DSP1054 has them — or the
// deprecated SourceNamespace; the request's namespace by default),
// CIM_ListenerDestinationCIMXML (or CIM_IndicationHandlerCIMXML: Name,
// Destination, an http or https URL; for the server will send to it, an
// administrator names any, and another user only a listener on the host
// their request came from: that IP address — any loopback address for a
// caller on the loopback — and a port from 1024, else
// CIM_ERR_ACCESS_DENIED naming the destination, logged; the Exporter
// follows no redirect) and CIM_IndicationSubscription (Filter
// and Handler references to the caller's own filter and destination; a
// SubscriptionState other than Enabled (2) or Disabled (4), an
// OnFatalErrorPolicy other than
// Ignore, a RepeatNotificationPolicy other than None or a
// SubscriptionDuration is CIM_ERR_NOT_SUPPORTED naming the property and
// its value). A subscription is ExecNotificationQuery run as its creator under the
// server's context: a query that cannot be set up fails CreateInstance with
// its status. Each event is exported to the listener (ExportIndication),
// tried again RetryAttempts times RetryInterval apart, then dropped; while
// the listener is slow, up to Backlog indications wait and the oldest are
// dropped past it, the listener then told their number by one
// __EventQueueOverflowEvent before the next indication (as the object
// manager tells its own losses); IndicationStats counts deliveries and
// drops, and the
// Logger hears of each drop's cause. The objects belong to their creator
// (another user's are not found), count against MaxPerUser, and a filter
// or destination in use cannot be deleted (CIM_ERR_FAILED). With
// IndicationOptions.Persist they are kept in the repository (RecordNamespace,
// which only administrators may enter) and NewServer restores them after a
// restart, each run as its creator looked up again (Lookup; a PAM
// account's only as a PAM account, by Caller.Method): a creator who is no
// user any more (identity.ErrNoUser) loses them, while a lookup that fails
// keeps them stored and inactive, tried again every RestoreRetryInterval;
// without Persist they live in memory. The classes (IndicationClasses, gowbem's MOF of them) are
// installed where ClassNamespaces say and where an object is first created,
// so that GetClass answers; the instances are the server's own, not the
// repository's: GetInstance, EnumerateInstances(Names), the pull operations
// (OpenEnumerateInstances(Paths), with or without a filter, and
// OpenQueryInstances and ExecQuery of a WQL query on one of the three
// classes), GetProperty and DeleteInstance reach the caller's own.
// A subscription's owner disables and enables it (DSP1054's
// SubscriptionState, Disabled 4 and Enabled 2) with ModifyInstance,
// SetProperty, or an update through CreateInstance with the "flags"
// extension; another user's request, an administrator's too, finds no such
// object (CIM_ERR_NOT_FOUND). A disable ends the subscription's event
// queries: the indications still waiting in its backlog and the one whose
// export is under way (abandoned: the listener may have got it) are
// dropped and counted in IndicationStats.Dropped, and
// the events that happen while it is disabled are never seen, so never
// delivered, not even after an enable. An enable runs the queries again as
// the owner is now (a query refused now fails the enable, which leaves the
// subscription disabled) and delivers the events that follow it. A
// subscription may be created Disabled (its query is tried, then nothing
// runs until it is enabled). An object reads back as it is now: a
// filter's and a destination's four keys those of its path (whatever its
// creator gave for them; the one given, sent back, is no change), what its
// creator gave, and what the server holds for it that the creator left out
// — a filter's QueryLanguage and the SourceNamespaces it watches, a
// destination's Protocol (2, CIM-XML), a subscription's
// OnFatalErrorPolicy (2, Ignore) and RepeatNotificationPolicy (2, None),
// the only ones it takes; a subscription always carries its
// SubscriptionState, SubscriptionStartTime and TimeOfLastStateChange (set
// at its creation, the latter again at each change; a value the client
// sends for them is ignored: the server keeps them). GetProperty, the
// enumerations and the queries (their WHERE too) see the same, and a
// client that sends back what it read changes nothing. With Persist the
// state and the times are stored and restored. The owner of a listener destination gives
// it a new Destination the same ways, checked as at its creation (an http
// or https URL; for a user who is no administrator, a listener on the host
// their request comes from): the subscriptions using it send their next
// indication there (an export under way finishes where it was going, the
// backlog stays), and with Persist the new one is stored. Every other
// property of an object is fixed once made — a filter's Query,
// QueryLanguage, SourceNamespaces and SourceNamespace too, as SFCB and
// OpenPegasus refuse a ModifyInstance of a filter: to watch other events,
// create another filter and subscription, then delete the old ones. A
// modification that would change one gets CIM_ERR_NOT_SUPPORTED naming it,
// and nothing of that modification is applied (the running subscriptions
// go on with the query they have); one that changes nothing succeeds (the
// same namespaces spelt otherwise, root/cimv2 for root\cimv2, are no
// change). The association operations
// (References, Associators, their Names and Open forms) reach them too: a
// CIM_IndicationSubscription joins its filter (role Filter) and its
// destination (role Handler), so a filter's references are the caller's
// subscriptions to it and its associators their destinations (a
// destination's, the other way round; a subscription has none), narrowed
// by AssocClass, ResultClass (a class or an ancestor of it), Role and
// ResultRole; another user's object is not found. An enumeration of a
// superclass of theirs (CIM_ManagedElement, CIM_ListenerDestination:
// EnumerateInstances(Names), OpenEnumerateInstances(Paths), a FilterQuery
// applied) gives the caller's filters and destinations of a class derived
// from it after the object manager's instances, and so does a WQL query on
// it (ExecQuery, OpenQueryInstances: its WHERE clause applied, its SELECT
// list projecting). Without Options.Indications — and always for the other
// DSP1054 classes (CIM_ListenerDestinationWSManagement, filter collections,
// the abstract CIM_ListenerDestination, a subclass the backend knows) —
// CreateInstance of them is CIM_ERR_NOT_SUPPORTED with a description rather
// than an instance stored that would deliver nothing. An export request
// sent to the server (CIMExport, meant for a listener) gets 400
// unsupported-operation.
//
// # Indication listener and exporter
//
// The export half of DSP0200 is here: Listener is an indication listener
// (an http.Handler taking ExportIndication requests, authenticated like the
// server's, the indication read without its class and handed to a
// function), and Exporter sends an indication to a listener — gowbem's
// or another's. Subscriptions export with an Exporter, and a program can
// receive the indications of gowbem, OpenPegasus or SFCB with a Listener.
//
// HTTP: the CIMOperation, CIMMethod and CIMObject headers are checked
// against the body (400 with a CIMError header when wrong:
// unsupported-operation, header-mismatch, request-not-well-formed,
// request-not-valid; 501 for an unsupported protocol, CIM or DTD version
// and for MULTIREQ); M-POST's headers carry the prefix its Man header
// names. A request is authenticated from its headers before its body is
// read (Options.Authenticator, the same one as WS-Management's in a
// daemon); the caller reaches the backend in the operation's context. A
// body is read within Options.ReadTimeout and Options.MaxRequestBytes
// (413 past it); elements nest at most MaxDepth deep and number at most
// MaxElements, embedded objects at most MaxEmbedding.
//
// Errors: a WBEM failure is an ERROR element inside a 200 response, its
// CODE the CIM status code of DSP0200 the WBEM status maps to
// (cim.Status.CIMStatus: not found 6, already exists 11, invalid class 5,
// …) and its DESCRIPTION the WBEM description. A client that sends the
// request header ExtensionHeader with "cim-error" also gets a CIM_Error
// instance carrying the WBEM status exactly (wbemcli's parser refuses
// anything inside ERROR, so only those who ask get it).
//
// Streaming: a response is held until it is complete or 64 KiB, then sent
// chunked as the objects come, never built whole: an enumeration of
// millions of instances runs in memory that does not grow with their
// number. A failure after the response has begun is told in the
// CIMStatusCode and CIMStatusCodeDescription trailers to a client that
// sent "TE: trailers"; for any other client the connection is cut, so
// that a broken response cannot pass for a complete one.
//
// # Pull operations
//
// The pull operations of DSP0200 1.3 — OpenEnumerateInstances,
// OpenEnumerateInstancePaths, OpenReferenceInstances(Paths),
// OpenAssociatorInstances(Paths), OpenQueryInstances, PullInstancesWithPath,
// PullInstancePaths, PullInstances, CloseEnumeration and EnumerationCount —
// work on enumeration contexts that are, as WS-Management's are,
// semisynchronous forward-only enumerators of the object manager, run under
// the server's context (and as the caller who opened them) rather than the
// request's:
//   - an Open or a pull answers with up to MaxObjectCount objects (capped at
//     MaxObjectCount), waiting up to Options.PullWait for the batch to
//     fill; it may answer with fewer, or none, and EndOfSequence FALSE;
//   - a context idles at most its OperationTimeout (Options.OperationTimeout
//     when NULL; 0 and more than MaxOperationTimeout get
//     CIM_ERR_INVALID_OPERATION_TIMEOUT), then it is closed and its provider
//     cancelled; CloseEnumeration closes it at once, also during a pull of
//     it, which then gets CIM_ERR_PULL_HAS_BEEN_ABANDONED;
//   - a failure after some objects comes with the next pull, after them;
//   - contexts are random, bound to the user who opened them (another
//     user's is CIM_ERR_INVALID_ENUMERATION_CONTEXT, as an unknown one) and
//     counted against the user's limit of open enumerations
//     (CIM_ERR_SERVER_LIMITS_EXCEEDED), a limit shared with WS-Management
//     when the servers share Options.Enumerations;
//   - a client that goes away during a pull loses its enumeration;
//   - a context queues what its client's next request takes (MaxObjectCount
//     objects, one for an Open of none), as far as its share of the
//     enumeration table's byte budget allows (internal/enumctx's Buffer,
//     shared with WS-Management's contexts when the table is), not a fixed
//     wbem.DefaultQueueSize;
//   - OpenEnumerateInstances and OpenEnumerateInstancePaths take a filter:
//     FilterQueryLanguage "WQL" and a FilterQuery that is a condition as a
//     WHERE clause holds (`Id < 3 AND Name LIKE 'a%'`), run as
//     SELECT * FROM ClassName WHERE condition; another language (DMTF:FQL
//     is not implemented) gets CIM_ERR_QUERY_LANGUAGE_NOT_SUPPORTED, a
//     filter on the association operations, whose results are of many
//     classes, CIM_ERR_FILTERED_ENUMERATION_NOT_SUPPORTED;
//   - EnumerationCount answers NULL, which DSP0200 allows when the server
//     cannot tell: a forward-only enumeration does not know what its
//     provider will still produce;
//   - ContinueOnError TRUE gets CIM_ERR_CONTINUATION_ON_ERROR_NOT_SUPPORTED
//     on every Open (FALSE, the default, is accepted): an enumeration of the
//     object manager ends at its first failure — a wbem.Backend ends an
//     operation with one final status, and a deep enumeration stops at the
//     first class whose provider fails — so there is no failed element to
//     continue past; the server's own writing of an instance cannot fail,
//     and access is checked per namespace before the enumeration starts.
//
// Every call that is not an enumeration (GetInstance, CreateInstance,
// ModifyInstance, DeleteInstance, GetProperty, SetProperty, the class and
// qualifier declaration operations, extrinsic method calls) is answered
// within Options.CallTimeout, as WS-Management's are within their operation
// timeout, even when a provider ignores its ctx (CIM_ERR_FAILED; the
// provider's goroutine is left to finish, what it writes dropped).
//
// # gowbem's extensions
//
// Between gowbem's client and server, ExtensionHeader carries "cim-error"
// (above) and "flags": CreateClass, ModifyClass, CreateInstance,
// ModifyInstance and SetQualifier take the parameter FlagsParam with WMI's
// flags, so that PutClass, PutInstance and PutQualifier keep their
// create-or-update semantics and update modes. The server tells its name in ServerHeader, which becomes
// the __SERVER of the objects the client reads.
//
// # Client
//
// Importing this package registers the protocol "cimxml" with
// wbem.Connect, for URLs whose path ends in /cimom. The client implements
// every operation of wbem.Backend: instances through GetInstance,
// CreateInstance, ModifyInstance and DeleteInstance; classes through
// GetClass, EnumerateClasses, CreateClass, ModifyClass and DeleteClass;
// methods through METHODCALL; queries through OpenQueryInstances (ExecQuery
// for schema queries); enumerations through OpenEnumerateInstances. A pull
// enumeration has one pull in flight while the objects of the last
// response go into the consumer's bounded queue, so the client reads at
// most one response ahead; closing the enumerator (or cancelling the
// operation) sends CloseEnumeration. Against a server without pull
// operations the client falls back to the plain methods, whose responses
// it reads as they stream, one object at a time.
//
// ExecNotificationQuery: CIM-XML has no pull delivery of events, so the
// client subscribes as DSP1054 says. Per event query it starts a Listener
// on a local address (ClientOptions.ListenerAddress, URL parameter
// "listener"; by default an ephemeral port of the address its connections
// to the server leave from), under a random path that is the listener's
// only secret (the server sends no credentials) — over https to a server
// that says "listener-pin" (gowbem's), an https listener under a
// certificate made for the process, pinned in the URL's fragment
// ("#gowbem-sha256=HEX") so that the server trusts it alone; plain http to
// other servers — and creates a CIM_IndicationFilter, a
// CIM_ListenerDestinationCIMXML naming that URL and a
// CIM_IndicationSubscription. Each exported indication, read with its
// class from the server, goes into the operation's bounded queue: the
// semisynchronous event enumerator of the other backends (Next answers
// WBEM_S_TIMEDOUT while nothing happened; a slow consumer holds the
// listener's answer back, and the server's backlog and retries take
// over). A query the server refuses fails the call, the instances made so
// far deleted; Close (or the end of the caller's context) deletes the
// three instances and stops the listener. The server must let the caller
// name a listener (gowbem's lets every user name one on their own host,
// which this one is).
package cimxml
