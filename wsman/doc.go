// Package wsman speaks WS-Management (DSP0226 with the CIM binding DSP0227
// and the WS-CIM mapping DSP0230, as WinRM does): a server in front of any
// wbem.Backend, and a client backend that wbem.Connect uses for URLs ending
// in /wsman.
//
// # Server
//
// NewServer returns an http.Handler for POST /wsman. It answers SOAP 1.2
// envelopes with WS-Addressing 2004/08 headers: Identify (without Action and,
// as WinRM allows, without credentials), Get, Put (also with
// FragmentTransfer of one property), Create, Delete, Enumerate, Pull and
// Release, Renew and GetStatus of enumerations (Renew restarts a context's
// idle clock; both answer when it expires), Subscribe, Renew, GetStatus and
// Unsubscribe (WS-Eventing), and custom methods (Action = ResourceURI/Method, body
// <p:Method_INPUT>, answer <p:Method_OUTPUT> with ReturnValue first).
//
// Resource URIs are accepted in WMI's form, which carries the namespace
// (http://schemas.microsoft.com/wbem/wsman/1/wmi/root/cimv2/Win32_Process),
// in DMTF's (http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/CIM_X) and in
// any vendor's form that ends in the class name; the __cimnamespace selector
// names the namespace where the URI does not (Options.DefaultNamespace
// otherwise). The all-classes URIs (…/wscim/1/* and …/wmi/<ns>/*) take a
// filter.
//
// Enumerate filters: WQL (passed to the object manager's ExecQuery as it
// is), SelectorFilter (key equality), and the association filter on the
// all-classes URI (AssociatedInstances becomes ASSOCIATORS OF,
// AssociationInstances REFERENCES OF; a class or role element that is not
// a name, spaces around it aside, is wsen:CannotProcessFilter). CQL (DSP0202, wsl's default) is
// taken where it is WQL's SELECT … FROM … WHERE; the rest of CQL gets
// wsen:CannotProcessFilter, other dialects
// wsen:FilterDialectRequestedUnavailable. Enumerate checks its class and a
// WQL or CQL filter before it answers (a wrong one faults there, not at the
// first Pull); a filter's FROM class must be the resource URI's class
// unless the URI is an all-classes one. EnumerationMode EnumerateEPR and
// EnumerateObjectAndEPR, OptimizeEnumeration with MaxElements,
// PolymorphismMode None (shallow) and ExcludeSubClassProperties (subclasses'
// instances with the URI class's properties only) are supported;
// RequestTotalItemsCountEstimate is answered with the enumeration's total
// where it is known without reading on — in the response that ends it, and
// once the provider has finished and the rest waits in the context's
// queue (unless a SelectorFilter still has to sort that rest) — and with
// DSP0226's nil estimate while a provider still streams (its progress
// reports are not used: they count one provider's part before filtering)
// and in a response that goes out in chunks (its header went first);
// wsen:Expires in Enumerate is
// wsman:UnsupportedFeature (contexts expire Options.IdleTimeout after their
// last use). MaxEnvelopeSize under 8192 (MinEnvelopeSize, WinRM's minimum)
// is wsman:EncodingLimit.
//
// The resource URI decides the class of Create and Put: a body of a
// subclass is taken (as WinRM takes it), of another class it is
// wxf:InvalidRepresentation, and a Put's body keys must be those its
// selectors name. Selector values are compared without surrounding spaces,
// in a Get as in a SelectorFilter; a second SelectorSet header is a fault.
// On a DMTF resource URI (URIPrefixDMTF, e.g. …/cim-schema/2/CIM_Processor)
// the selectors may be DMTF's keys of the class, as WinRM takes them: WMI
// keeps one of them as the Key and marks the others CIM_Key
// (SystemCreationClassName, SystemName, CreationClassName of a device);
// the Key names the instance, and the CIM_Key selectors must be the
// instance's values, else no instance is named (wsa:DestinationUnreachable)
// — for Get, Put, Delete and methods alike. An EPR with a DMTF resource URI
// (an association filter's object, a reference) maps to WMI's path the same
// way, without the check. On WMI's URIs only WMI's keys are selectors.
// Faults carry WinRM's WSManFault Code (MS-WSMV) where WinRM has one and
// the WBEM status in gw:WBEMStatus; a status the request causes (a provider
// that cannot do the operation: wsa:ActionNotSupported) is s:Sender.
//
// Values are written per DSP0230: arrays as repeated elements, NULL as
// xsi:nil, datetimes in cim:Datetime or cim:Interval (cim:CIM_DateTime when
// they have wildcards), references as endpoint references, embedded
// instances as nested instance elements. The prefix p of the requested
// class is declared on the envelope, so that an instance's start tag has no
// attributes (wsl relies on it).
//
// # Enumeration contexts
//
// Every enumeration context is a semisynchronous, forward-only enumerator of
// the object manager (WBEM_FLAG_RETURN_IMMEDIATELY|WBEM_FLAG_FORWARD_ONLY),
// started under the server's own context, not the HTTP request's:
//   - Enumerate starts it; with OptimizeEnumeration the first batch comes
//     in the response, and an enumeration that ends there leaves no context.
//   - Pull is Next(MaxTime, MaxElements): MaxTime defaults to the request's
//     OperationTimeout, then to Options.OperationTimeout; MaxElements to 1.
//     When nothing came in MaxTime the answer is the fault wsman:TimedOut and
//     the context stays valid; when some came, they are sent. The batch is
//     cut to fit MaxEnvelopeSize (and MaxCharacters); what does not fit is
//     kept for the next Pull, and a single object too big for the envelope
//     gets wsman:EncodingLimit (the context stays valid). A failure of the
//     operation comes after the objects before it and ends the context.
//     MaxTime is capped at MaxPullWait. A WQL projection sends only the
//     selected properties.
//   - A response (of Pull or an optimized Enumerate) larger than
//     Options.ResponseChunk goes out whole, in one write with its
//     Content-Length, while the server's Options.ResponseBudget (1 MiB by
//     default, shared by all its responses in flight, their buffers kept
//     for the next ones) has room for it; otherwise it goes out in chunks
//     while its items are encoded (HTTP's chunked transfer coding), so that
//     it holds a chunk of memory, not the whole of it: a lone client gets
//     its responses whole, many clients at once theirs in chunks. A chunked
//     response's context element goes out first, before the end is known:
//     when the enumeration ends within such a response, the context stays
//     open and the next Pull answers with EndOfSequence alone.
//   - Release is Close: the provider sees its context cancelled. Release
//     also ends a Pull that is waiting on the same context.
//   - A client that goes away while its Pull (or optimized Enumerate) waits
//     cannot receive what was read for it: the context is released at once
//     and its provider cancelled.
//   - A context idle for Options.IdleTimeout (5 minutes by default) is
//     closed likewise.
//   - One user may hold Options.MaxContextsPerUser open contexts (64 by
//     default); beyond that Enumerate gets wsman:QuotaLimit.
//   - Context identifiers are random UUIDs (crypto/rand) bound to the user
//     who opened them: another user's Pull or Release gets
//     wsen:InvalidEnumerationContext, exactly as an unknown context does.
//   - Server.Close releases every context (a daemon calls it on SIGTERM).
//
// # Events: WS-Eventing
//
// Subscribe (WS-Eventing 2004/08 as DSP0226 uses it) starts a
// semisynchronous ExecNotificationQuery of the object manager as the user
// who subscribed, with the WQL event query of the filter (wsman:Filter or
// wse:Filter, dialect WQL; on a class resource URI without a filter,
// SELECT * FROM that class). The answer names the subscription manager:
// the request's address with the reference parameters wsman:ResourceURI and
// wse:Identifier, which Renew, GetStatus and Unsubscribe send back as
// headers. Subscriptions are bound to their user (another user's identifier
// is unknown) and count against Options.MaxContextsPerUser with the
// enumeration contexts.
//   - wse:Expires (an xs:duration or xs:dateTime) bounds the subscription's
//     life; absent or longer than Options.MaxSubscriptionExpiry it is that.
//     A subscription not renewed in time ends. Renew sets a new expiry,
//     GetStatus tells the time left, Unsubscribe ends it at once (also
//     while a Pull waits on it).
//   - Pull delivery (DeliveryPull): SubscribeResponse carries a
//     wsen:EnumerationContext, and events are read with ordinary Pulls on
//     it (MaxTime, MaxElements and the envelope limit as for enumerations;
//     a Pull that finds nothing in MaxTime gets wsman:TimedOut and the
//     subscription goes on). A context left idle for Options.IdleTimeout,
//     or whose client went away during a Pull (also while its response
//     was written), ends the subscription (suspends it, with bookmarks).
//   - Push delivery (DeliveryPush, DeliveryPushWithAck, DeliveryEvents):
//     events go to wse:NotifyTo by HTTP POST, its reference parameters
//     copied into each message's header — one event per wsman/Event
//     message, with wsman:AckRequested and a wsman:Ack expected in
//     PushWithAck, batches of wsman:MaxElements gathered for wsman:MaxTime
//     in one wsman/Events message (acknowledged) in Events mode. A failed
//     send is retried (wsman:ConnectionRetry: Total times, every interval;
//     3 times every 5 s by default); when every retry failed the
//     subscription ends and wse:EndTo, if given, gets a SubscriptionEnd
//     with wse:DeliveryFailure. Pushing makes the server send requests
//     where a subscriber says, so it is off unless Options.PushTo allows
//     the user and address.
//   - The backlog of a subscriber that is slow or away is bounded: the
//     object manager's queue of the subscription and the enumerator's.
//     Past them the oldest events are lost; a pull subscriber reads an
//     __EventQueueOverflowEvent saying how many, a push listener gets a
//     wsman/DroppedEvents message.
//   - wsman:Heartbeats: when no event came for that long, a push listener
//     gets a wsman/Heartbeat message, and a Pull returns an empty
//     PullResponse with a wsman:Heartbeat header instead of waiting on.
//   - wsman:SendBookmarks: each PullResponse or pushed message with events
//     (or with a DroppedEvents notice, which has a sequence number of its
//     own) carries wsman:Bookmark, the subscription's identifier and the
//     sequence number of its last event. A subscription with bookmarks
//     whose subscriber has gone (an idle context, a Pull's client gone, a
//     listener that failed) is kept for Options.BookmarkRetention, its
//     events queuing (bounded); a Subscribe by the same user with
//     wsman:Bookmark takes it over and gets the events after the bookmark
//     first — those delivered but possibly lost among the last
//     ReplayWindow, then those that queued (also a PullResponse that could
//     not be written, or a pushed message the listener had not taken when
//     the push failed or was taken over: they are not counted delivered).
//     An unknown bookmark gets wsman:InvalidBookmark; BookmarkEarliest
//     starts a new subscription.
//   - What counts as delivered. An event is numbered and remembered for
//     replay when it was delivered, and only then; until then it waits in
//     the subscription, ahead of later events, for the next delivery. By
//     pull it is delivered once its PullResponse was written whole to the
//     connection (written and flushed without error, the request still
//     live); a Pull whose client went away first, or whose response could
//     not be written, delivered nothing. By push it is delivered once the
//     listener answered its message (2xx; wsman:Ack in PushWithAck and
//     Events mode); a message that goes out as several requests (an Events
//     batch with a DroppedEvents notice inside) is retried from the first
//     request the listener did not take. So nothing the listener answered
//     is sent again while the subscription goes on. Delivery is at least
//     once, not exactly once, where the server cannot know: a PullResponse
//     written may be lost with the connection after it, and a message the
//     listener took whose answer did not come back (a broken connection,
//     a timeout) is sent again with the same bookmark. A subscriber with
//     bookmarks that resumes from the last bookmark it got misses nothing
//     (of the last ReplayWindow events) and can drop a repeat by its
//     bookmark; without bookmarks a PullResponse lost after it was written
//     is lost. In Push mode a 2xx says only that the HTTP request was
//     taken.
//   - Server.Close ends every subscription.
//
// # Faults
//
// Faults are SOAP 1.2 faults with DSP0226's subcodes. Every failure status
// of WMI maps to one fault (the table is audited by TestEveryStatusToFault
// over cim's whole status table): an instance not found →
// wsa:DestinationUnreachable (WinRM's ERROR_WSMAN_RESOURCE_NOT_FOUND), no
// class or namespace → the same with detail InvalidResourceURI, access
// denied or a privilege missing → wsman:AccessDenied (HTTP 403), already
// exists → wsman:AlreadyExists, what the class or its provider does not do
// → wsa:ActionNotSupported, a bad path → wsman:InvalidSelectors, bad method
// parameters → wsman:InvalidParameter, WMI's context or flags →
// wsman:InvalidOptions, a locale → wsman:UnsupportedFeature Locale, an
// unknown query language → wsen:FilterDialectRequestedUnavailable, a bad
// query → wsen:CannotProcessFilter, too much data → wsman:EncodingLimit,
// the caller's quota → wsman:QuotaLimit, a body or class definition WMI
// refuses (type mismatch, MOF errors…) → wxf:InvalidRepresentation; all
// those are s:Sender. Timeouts are s:Receiver wsman:TimedOut, a busy or
// stopping service s:Receiver wsa:EndpointUnavailable, and the service's
// own failures s:Receiver wsman:InternalError. The detail holds
// wsman:FaultDetail where one applies, Microsoft's WSManFault with WinRM's
// number as Code (the WBEM status where WinRM has none), and gw:WBEMStatus
// with the status, its name, the CIM status code of DSP0200 and the
// operation, parameter and provider. Bad input
// never panics: malformed XML, nesting deeper than MaxDepth, a body larger
// than Options.MaxRequestBytes (512 KiB by default), a wrong Action, an
// unknown resource or a bad selector each get a fault saying what is wrong.
// HTTP status: 400 for Sender faults (403 for AccessDenied), 500 for
// Receiver faults.
//
// # Authentication and TLS
//
// Requests authenticate through Options.Authenticator (package auth: HTTP
// Basic over a password store, TLS client certificates), from their headers
// alone: a request without valid credentials gets 401 with a Basic
// challenge, or 429/503 with Retry-After when logins are throttled or
// busy, before any of its body is read, and its connection is closed. Only
// an Identify whose declared length is at most MaxIdentifyBytes may come
// without credentials. The authenticated caller travels to the backend in
// the operation's context (identity.FromContext), marked Remote unless
// Options.IsLocal says the request came from this machine. A body must
// arrive within Options.ReadTimeout (else 408) and a response be taken
// within Options.WriteTimeout; a broken body (a bad chunk, a length cut
// short) gets 400. The handler itself is plain HTTP: a daemon serves it on
// a TLS listener (http.Server.ServeTLS) for HTTPS, and should install
// ConnContext.
//
// # gowbem's extensions
//
// WS-Management has no class operations and no WMI flags; between gowbem's
// own client and server these travel as extensions that other clients never
// see unless they ask:
//   - the resource URIClassDefinition: Get, Put, Create, Delete and
//     Enumerate of class definitions (selector ClassName), written as
//     gw:CLASS elements (see classdef.go);
//   - the resource URINamespace: Get with selector Name opens a namespace;
//   - the option OptionFlags carries WMI's flags for Put, Create and
//     Enumerate (without it Put is UPDATE_ONLY and Create CREATE_ONLY);
//   - the filter dialects DialectEvent (an event query as an enumeration;
//     gowbem's client subscribes with WS-Eventing instead) and
//     DialectLanguagePrefix (a query language other than WQL);
//   - Identify tells authenticated clients the object manager's server name
//     (gw:ServerName), and PutResponse carries the instance's path (gw:Path).
//
// # Class definitions, the standard way
//
// Besides its own gw:CLASS, the server serves DSP0227's standard resource of
// class definitions, URIClassDefinitionDSP0201
// (http://schemas.dmtf.org/wbem/cim-xml/2/cim-schema/2/*): a Get with the
// selectors ClassName and __cimnamespace answers with a DSP0201 CLASS
// element (qualifiers with the option IncludeQualifiers=true), as OMI does.
// That resource answers Get only.
//
// # Client
//
// Importing this package registers the protocol "wsman" with wbem.Connect.
// The client implements every operation of wbem.Backend: instances through
// Get, Put, Delete, Enumerate and Invoke; queries through the WQL filter,
// except ASSOCIATORS OF and REFERENCES OF (below); classes through the
// extensions above; ExecNotificationQuery through a
// WS-Eventing Subscribe with pull delivery, renewed at half its expiry while
// it lasts and ended with Unsubscribe when the enumerator is closed. An
// enumeration is an optimized Enumerate followed by Pulls, one at a time,
// each writing its objects to the consumer's bounded queue (which bounds how
// far the client reads ahead); cancelling the operation sends Release.
// Faults come back as the *cim.Error the server reported.
//
// ASSOCIATORS OF and REFERENCES OF go, to every server, as DSP0227's
// association filter (DialectAssociation) on the all-classes URI
// URIAllClasses, with the __cimnamespace selector: WinRM and OMI do not
// take them as WQL. The source instance is wsmb:Object, an endpoint
// reference built from the query's path as for Get (WMI's resource URI of
// its class, its keys and __cimnamespace as selectors; a bare key is named
// with the class's definition); ASSOCIATORS OF becomes
// wsmb:AssociatedInstances with AssocClass, Role, ResultClass and
// ResultRole as AssociationClassName, Role, ResultClassName and
// ResultRole, REFERENCES OF wsmb:AssociationInstances with ResultClassName
// and Role, and KeysOnly asks for the results' references (below). What
// the filter cannot carry — a class as the source, or one in another
// namespace, ClassDefsOnly, SchemaOnly, RequiredQualifier,
// RequiredAssocQualifier — is never dropped: a gowbem server gets the
// query as WQL text, which it takes whole; any other server gets nothing,
// and the caller WBEM_E_NOT_SUPPORTED naming the clause (clientassoc.go).
//
// Where the client needs objects' paths and not the objects, it asks any
// server but gowbem for references (wsman:EnumerationMode EnumerateEPR):
// for KeysOnly, and for a WQL query that selects only what a path says
// (__PATH, __RELPATH, __CLASS, __NAMESPACE, __SERVER, __GENUS), which goes
// to the FROM class's resource with the WHERE clause, if any, in a
// SELECT * filter. Each reference becomes what the object manager gives
// for those queries: an instance of its class projected to its keys (and
// the system properties selected), the keys typed by the class's
// definition — or, without one, by the selectors (strings, references).
// Where it needs the objects and their paths — enumerating a class the
// server gives no definition of, or a WQL SELECT * of one, whose instances
// would otherwise have no keys — it asks for EnumerateObjectAndEPR, and
// the reference's selectors are the keys. A reference is read as OMI and WinRM send them
// (clientepr.go): the class from wsman:ResourceURI (WMI's form with the
// namespace, DMTF's or a vendor's), the keys from the selectors (a
// reference key from a nested reference), the namespace from
// __cimnamespace, else from the URI, else the request's; one that names
// no object path is WBEM_E_INVALID_OBJECT_PATH saying why. A gowbem
// server gets those queries as WQL text and the objects with their
// classes. WMI's API has no enumeration of paths nor a count of instances
// of its own, so the client needs neither.
//
// The client works against servers it did not write (Microsoft's OMI is
// tested through its recorded answers): every request names the namespace
// in the __cimnamespace selector as well as in the WMI resource URI; Identify
// tells whether the server is gowbem (asked before the first operation that
// needs to know, until the server answers; a connection that cannot be made
// fails that operation with WBEM_E_TRANSPORT_FAILURE, without dialing
// again), and with another server the client
// gets class definitions the standard way (with IncludeQualifiers, and the
// superclasses' for the derivation) and sends a WQL query to its FROM
// class's resource rather than to the all-classes URI. When a server gives
// no class definition, instances are read without one (see adhocClass in
// adhoc.go: types from xsi:type, the element's shape and its text; keys
// only from the references of an enumeration, above). A fault's WBEM status comes from gowbem's gw:WBEMStatus,
// else from a CIM_Error's CIMStatusCode in the detail (OMI_Error,
// MSFT_WmiError), else from WSManFault's Code or the subcode. What OMI does
// differently is taken in stride: EndOfSequence beside a repeated
// enumeration context ends the enumeration (no further Pull, no Release),
// in either namespace; booleans in capitals; xs:dateTime as plain text; the
// class namespace declared on every instance; an empty body for a request
// it cannot read.
package wsman
