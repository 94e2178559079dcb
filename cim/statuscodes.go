package cim

// The WBEM status codes of WMI (wbemcli.h), with their names and numbers.
// Success codes have the top bit clear; failures have it set.
const (
	// WBEM_S_NO_ERROR: success.
	WBEM_S_NO_ERROR Status = 0x0
	// WBEM_S_FALSE: end of enumeration or fewer objects than requested.
	WBEM_S_FALSE Status = 0x1
	// WBEM_S_ALREADY_EXISTS: the object already existed.
	WBEM_S_ALREADY_EXISTS Status = 0x40001
	// WBEM_S_RESET_TO_DEFAULT: deleting an override restored the inherited value.
	WBEM_S_RESET_TO_DEFAULT Status = 0x40002
	// WBEM_S_DIFFERENT: the compared objects differ.
	WBEM_S_DIFFERENT Status = 0x40003
	// WBEM_S_TIMEDOUT: the call timed out; partial results are valid.
	WBEM_S_TIMEDOUT Status = 0x40004
	// WBEM_S_NO_MORE_DATA: no more data.
	WBEM_S_NO_MORE_DATA Status = 0x40005
	// WBEM_S_OPERATION_CANCELLED: the operation was cancelled.
	WBEM_S_OPERATION_CANCELLED Status = 0x40006
	// WBEM_S_PENDING: the operation is still in progress.
	WBEM_S_PENDING Status = 0x40007
	// WBEM_S_DUPLICATE_OBJECTS: the result set holds duplicates.
	WBEM_S_DUPLICATE_OBJECTS Status = 0x40008
	// WBEM_S_ACCESS_DENIED: some resources were denied.
	WBEM_S_ACCESS_DENIED Status = 0x40009
	// WBEM_S_PARTIAL_RESULTS: some resources were unavailable.
	WBEM_S_PARTIAL_RESULTS Status = 0x40010
	// WBEM_S_SOURCE_NOT_AVAILABLE: the source is not available.
	WBEM_S_SOURCE_NOT_AVAILABLE Status = 0x40017
	// WBEM_S_LIMITED_SERVICE: the provider runs in a limited service.
	WBEM_S_LIMITED_SERVICE Status = 0x43001
	// WBEM_S_INDIRECTLY_UPDATED: reserved.
	WBEM_S_INDIRECTLY_UPDATED Status = 0x43002
	// WBEM_E_FAILED: unspecified failure.
	WBEM_E_FAILED Status = 0x80041001
	// WBEM_E_NOT_FOUND: object not found.
	WBEM_E_NOT_FOUND Status = 0x80041002
	// WBEM_E_ACCESS_DENIED: access denied.
	WBEM_E_ACCESS_DENIED Status = 0x80041003
	// WBEM_E_PROVIDER_FAILURE: provider failure.
	WBEM_E_PROVIDER_FAILURE Status = 0x80041004
	// WBEM_E_TYPE_MISMATCH: type mismatch.
	WBEM_E_TYPE_MISMATCH Status = 0x80041005
	// WBEM_E_OUT_OF_MEMORY: out of memory.
	WBEM_E_OUT_OF_MEMORY Status = 0x80041006
	// WBEM_E_INVALID_CONTEXT: invalid context.
	WBEM_E_INVALID_CONTEXT Status = 0x80041007
	// WBEM_E_INVALID_PARAMETER: invalid parameter.
	WBEM_E_INVALID_PARAMETER Status = 0x80041008
	// WBEM_E_NOT_AVAILABLE: resource not available.
	WBEM_E_NOT_AVAILABLE Status = 0x80041009
	// WBEM_E_CRITICAL_ERROR: critical internal error.
	WBEM_E_CRITICAL_ERROR Status = 0x8004100A
	// WBEM_E_INVALID_STREAM: invalid stream.
	WBEM_E_INVALID_STREAM Status = 0x8004100B
	// WBEM_E_NOT_SUPPORTED: not supported.
	WBEM_E_NOT_SUPPORTED Status = 0x8004100C
	// WBEM_E_INVALID_SUPERCLASS: invalid superclass.
	WBEM_E_INVALID_SUPERCLASS Status = 0x8004100D
	// WBEM_E_INVALID_NAMESPACE: invalid namespace.
	WBEM_E_INVALID_NAMESPACE Status = 0x8004100E
	// WBEM_E_INVALID_OBJECT: invalid object.
	WBEM_E_INVALID_OBJECT Status = 0x8004100F
	// WBEM_E_INVALID_CLASS: invalid class.
	WBEM_E_INVALID_CLASS Status = 0x80041010
	// WBEM_E_PROVIDER_NOT_FOUND: provider not found.
	WBEM_E_PROVIDER_NOT_FOUND Status = 0x80041011
	// WBEM_E_INVALID_PROVIDER_REGISTRATION: invalid provider registration.
	WBEM_E_INVALID_PROVIDER_REGISTRATION Status = 0x80041012
	// WBEM_E_PROVIDER_LOAD_FAILURE: provider load failure.
	WBEM_E_PROVIDER_LOAD_FAILURE Status = 0x80041013
	// WBEM_E_INITIALIZATION_FAILURE: initialization failure.
	WBEM_E_INITIALIZATION_FAILURE Status = 0x80041014
	// WBEM_E_TRANSPORT_FAILURE: transport failure.
	WBEM_E_TRANSPORT_FAILURE Status = 0x80041015
	// WBEM_E_INVALID_OPERATION: invalid operation.
	WBEM_E_INVALID_OPERATION Status = 0x80041016
	// WBEM_E_INVALID_QUERY: invalid query.
	WBEM_E_INVALID_QUERY Status = 0x80041017
	// WBEM_E_INVALID_QUERY_TYPE: invalid query language.
	WBEM_E_INVALID_QUERY_TYPE Status = 0x80041018
	// WBEM_E_ALREADY_EXISTS: already exists.
	WBEM_E_ALREADY_EXISTS Status = 0x80041019
	// WBEM_E_OVERRIDE_NOT_ALLOWED: override not allowed.
	WBEM_E_OVERRIDE_NOT_ALLOWED Status = 0x8004101A
	// WBEM_E_PROPAGATED_QUALIFIER: propagated qualifier.
	WBEM_E_PROPAGATED_QUALIFIER Status = 0x8004101B
	// WBEM_E_PROPAGATED_PROPERTY: propagated property.
	WBEM_E_PROPAGATED_PROPERTY Status = 0x8004101C
	// WBEM_E_UNEXPECTED: unexpected call sequence.
	WBEM_E_UNEXPECTED Status = 0x8004101D
	// WBEM_E_ILLEGAL_OPERATION: illegal operation.
	WBEM_E_ILLEGAL_OPERATION Status = 0x8004101E
	// WBEM_E_CANNOT_BE_KEY: property cannot be a key.
	WBEM_E_CANNOT_BE_KEY Status = 0x8004101F
	// WBEM_E_INCOMPLETE_CLASS: incomplete class.
	WBEM_E_INCOMPLETE_CLASS Status = 0x80041020
	// WBEM_E_INVALID_SYNTAX: invalid syntax.
	WBEM_E_INVALID_SYNTAX Status = 0x80041021
	// WBEM_E_NONDECORATED_OBJECT: nondecorated object.
	WBEM_E_NONDECORATED_OBJECT Status = 0x80041022
	// WBEM_E_READ_ONLY: read-only.
	WBEM_E_READ_ONLY Status = 0x80041023
	// WBEM_E_PROVIDER_NOT_CAPABLE: provider not capable.
	WBEM_E_PROVIDER_NOT_CAPABLE Status = 0x80041024
	// WBEM_E_CLASS_HAS_CHILDREN: class has children.
	WBEM_E_CLASS_HAS_CHILDREN Status = 0x80041025
	// WBEM_E_CLASS_HAS_INSTANCES: class has instances.
	WBEM_E_CLASS_HAS_INSTANCES Status = 0x80041026
	// WBEM_E_QUERY_NOT_IMPLEMENTED: query not implemented.
	WBEM_E_QUERY_NOT_IMPLEMENTED Status = 0x80041027
	// WBEM_E_ILLEGAL_NULL: illegal null.
	WBEM_E_ILLEGAL_NULL Status = 0x80041028
	// WBEM_E_INVALID_QUALIFIER_TYPE: invalid qualifier type.
	WBEM_E_INVALID_QUALIFIER_TYPE Status = 0x80041029
	// WBEM_E_INVALID_PROPERTY_TYPE: invalid property type.
	WBEM_E_INVALID_PROPERTY_TYPE Status = 0x8004102A
	// WBEM_E_VALUE_OUT_OF_RANGE: value out of range.
	WBEM_E_VALUE_OUT_OF_RANGE Status = 0x8004102B
	// WBEM_E_CANNOT_BE_SINGLETON: cannot be singleton.
	WBEM_E_CANNOT_BE_SINGLETON Status = 0x8004102C
	// WBEM_E_INVALID_CIM_TYPE: invalid CIM type.
	WBEM_E_INVALID_CIM_TYPE Status = 0x8004102D
	// WBEM_E_INVALID_METHOD: invalid method.
	WBEM_E_INVALID_METHOD Status = 0x8004102E
	// WBEM_E_INVALID_METHOD_PARAMETERS: invalid method parameters.
	WBEM_E_INVALID_METHOD_PARAMETERS Status = 0x8004102F
	// WBEM_E_SYSTEM_PROPERTY: system property.
	WBEM_E_SYSTEM_PROPERTY Status = 0x80041030
	// WBEM_E_INVALID_PROPERTY: invalid property.
	WBEM_E_INVALID_PROPERTY Status = 0x80041031
	// WBEM_E_CALL_CANCELLED: call cancelled.
	WBEM_E_CALL_CANCELLED Status = 0x80041032
	// WBEM_E_SHUTTING_DOWN: shutting down.
	WBEM_E_SHUTTING_DOWN Status = 0x80041033
	// WBEM_E_PROPAGATED_METHOD: propagated method.
	WBEM_E_PROPAGATED_METHOD Status = 0x80041034
	// WBEM_E_UNSUPPORTED_PARAMETER: unsupported parameter.
	WBEM_E_UNSUPPORTED_PARAMETER Status = 0x80041035
	// WBEM_E_MISSING_PARAMETER_ID: missing parameter ID.
	WBEM_E_MISSING_PARAMETER_ID Status = 0x80041036
	// WBEM_E_INVALID_PARAMETER_ID: invalid parameter ID.
	WBEM_E_INVALID_PARAMETER_ID Status = 0x80041037
	// WBEM_E_NONCONSECUTIVE_PARAMETER_IDS: nonconsecutive parameter IDs.
	WBEM_E_NONCONSECUTIVE_PARAMETER_IDS Status = 0x80041038
	// WBEM_E_PARAMETER_ID_ON_RETVAL: parameter ID on return value.
	WBEM_E_PARAMETER_ID_ON_RETVAL Status = 0x80041039
	// WBEM_E_INVALID_OBJECT_PATH: invalid object path.
	WBEM_E_INVALID_OBJECT_PATH Status = 0x8004103A
	// WBEM_E_OUT_OF_DISK_SPACE: out of disk space.
	WBEM_E_OUT_OF_DISK_SPACE Status = 0x8004103B
	// WBEM_E_BUFFER_TOO_SMALL: buffer too small.
	WBEM_E_BUFFER_TOO_SMALL Status = 0x8004103C
	// WBEM_E_UNSUPPORTED_PUT_EXTENSION: unsupported put extension.
	WBEM_E_UNSUPPORTED_PUT_EXTENSION Status = 0x8004103D
	// WBEM_E_UNKNOWN_OBJECT_TYPE: unknown object type.
	WBEM_E_UNKNOWN_OBJECT_TYPE Status = 0x8004103E
	// WBEM_E_UNKNOWN_PACKET_TYPE: unknown packet type.
	WBEM_E_UNKNOWN_PACKET_TYPE Status = 0x8004103F
	// WBEM_E_MARSHAL_VERSION_MISMATCH: marshal version mismatch.
	WBEM_E_MARSHAL_VERSION_MISMATCH Status = 0x80041040
	// WBEM_E_MARSHAL_INVALID_SIGNATURE: marshal invalid signature.
	WBEM_E_MARSHAL_INVALID_SIGNATURE Status = 0x80041041
	// WBEM_E_INVALID_QUALIFIER: invalid qualifier.
	WBEM_E_INVALID_QUALIFIER Status = 0x80041042
	// WBEM_E_INVALID_DUPLICATE_PARAMETER: duplicate parameter.
	WBEM_E_INVALID_DUPLICATE_PARAMETER Status = 0x80041043
	// WBEM_E_TOO_MUCH_DATA: too much data.
	WBEM_E_TOO_MUCH_DATA Status = 0x80041044
	// WBEM_E_SERVER_TOO_BUSY: server too busy.
	WBEM_E_SERVER_TOO_BUSY Status = 0x80041045
	// WBEM_E_INVALID_FLAVOR: invalid flavor.
	WBEM_E_INVALID_FLAVOR Status = 0x80041046
	// WBEM_E_CIRCULAR_REFERENCE: circular reference.
	WBEM_E_CIRCULAR_REFERENCE Status = 0x80041047
	// WBEM_E_UNSUPPORTED_CLASS_UPDATE: unsupported class update.
	WBEM_E_UNSUPPORTED_CLASS_UPDATE Status = 0x80041048
	// WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE: cannot change key inheritance.
	WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE Status = 0x80041049
	// WBEM_E_CANNOT_CHANGE_INDEX_INHERITANCE: cannot change index inheritance.
	WBEM_E_CANNOT_CHANGE_INDEX_INHERITANCE Status = 0x80041050
	// WBEM_E_TOO_MANY_PROPERTIES: too many properties.
	WBEM_E_TOO_MANY_PROPERTIES Status = 0x80041051
	// WBEM_E_UPDATE_TYPE_MISMATCH: update type mismatch.
	WBEM_E_UPDATE_TYPE_MISMATCH Status = 0x80041052
	// WBEM_E_UPDATE_OVERRIDE_NOT_ALLOWED: update override not allowed.
	WBEM_E_UPDATE_OVERRIDE_NOT_ALLOWED Status = 0x80041053
	// WBEM_E_UPDATE_PROPAGATED_METHOD: update propagated method.
	WBEM_E_UPDATE_PROPAGATED_METHOD Status = 0x80041054
	// WBEM_E_METHOD_NOT_IMPLEMENTED: method not implemented.
	WBEM_E_METHOD_NOT_IMPLEMENTED Status = 0x80041055
	// WBEM_E_METHOD_DISABLED: method disabled.
	WBEM_E_METHOD_DISABLED Status = 0x80041056
	// WBEM_E_REFRESHER_BUSY: refresher busy.
	WBEM_E_REFRESHER_BUSY Status = 0x80041057
	// WBEM_E_UNPARSABLE_QUERY: unparsable query.
	WBEM_E_UNPARSABLE_QUERY Status = 0x80041058
	// WBEM_E_NOT_EVENT_CLASS: not an event class.
	WBEM_E_NOT_EVENT_CLASS Status = 0x80041059
	// WBEM_E_MISSING_GROUP_WITHIN: missing GROUP WITHIN.
	WBEM_E_MISSING_GROUP_WITHIN Status = 0x8004105A
	// WBEM_E_MISSING_AGGREGATION_LIST: missing aggregation list.
	WBEM_E_MISSING_AGGREGATION_LIST Status = 0x8004105B
	// WBEM_E_PROPERTY_NOT_AN_OBJECT: property not an object.
	WBEM_E_PROPERTY_NOT_AN_OBJECT Status = 0x8004105C
	// WBEM_E_AGGREGATING_BY_OBJECT: aggregating by object.
	WBEM_E_AGGREGATING_BY_OBJECT Status = 0x8004105D
	// WBEM_E_UNINTERPRETABLE_PROVIDER_QUERY: uninterpretable provider query.
	WBEM_E_UNINTERPRETABLE_PROVIDER_QUERY Status = 0x8004105F
	// WBEM_E_BACKUP_RESTORE_WINMGMT_RUNNING: backup or restore running.
	WBEM_E_BACKUP_RESTORE_WINMGMT_RUNNING Status = 0x80041060
	// WBEM_E_QUEUE_OVERFLOW: queue overflow.
	WBEM_E_QUEUE_OVERFLOW Status = 0x80041061
	// WBEM_E_PRIVILEGE_NOT_HELD: privilege not held.
	WBEM_E_PRIVILEGE_NOT_HELD Status = 0x80041062
	// WBEM_E_INVALID_OPERATOR: invalid operator.
	WBEM_E_INVALID_OPERATOR Status = 0x80041063
	// WBEM_E_LOCAL_CREDENTIALS: credentials on a local connection.
	WBEM_E_LOCAL_CREDENTIALS Status = 0x80041064
	// WBEM_E_CANNOT_BE_ABSTRACT: cannot be abstract.
	WBEM_E_CANNOT_BE_ABSTRACT Status = 0x80041065
	// WBEM_E_AMENDED_OBJECT: amended object.
	WBEM_E_AMENDED_OBJECT Status = 0x80041066
	// WBEM_E_CLIENT_TOO_SLOW: client too slow.
	WBEM_E_CLIENT_TOO_SLOW Status = 0x80041067
	// WBEM_E_NULL_SECURITY_DESCRIPTOR: null security descriptor.
	WBEM_E_NULL_SECURITY_DESCRIPTOR Status = 0x80041068
	// WBEM_E_TIMED_OUT: timed out.
	WBEM_E_TIMED_OUT Status = 0x80041069
	// WBEM_E_INVALID_ASSOCIATION: invalid association.
	WBEM_E_INVALID_ASSOCIATION Status = 0x8004106A
	// WBEM_E_AMBIGUOUS_OPERATION: ambiguous operation.
	WBEM_E_AMBIGUOUS_OPERATION Status = 0x8004106B
	// WBEM_E_QUOTA_VIOLATION: quota violation.
	WBEM_E_QUOTA_VIOLATION Status = 0x8004106C
	// WBEM_E_RESERVED_001: transaction conflict.
	WBEM_E_RESERVED_001 Status = 0x8004106D
	// WBEM_E_RESERVED_002: forced rollback.
	WBEM_E_RESERVED_002 Status = 0x8004106E
	// WBEM_E_UNSUPPORTED_LOCALE: unsupported locale.
	WBEM_E_UNSUPPORTED_LOCALE Status = 0x8004106F
	// WBEM_E_HANDLE_OUT_OF_DATE: handle out of date.
	WBEM_E_HANDLE_OUT_OF_DATE Status = 0x80041070
	// WBEM_E_CONNECTION_FAILED: connection failed.
	WBEM_E_CONNECTION_FAILED Status = 0x80041071
	// WBEM_E_INVALID_HANDLE_REQUEST: invalid handle request.
	WBEM_E_INVALID_HANDLE_REQUEST Status = 0x80041072
	// WBEM_E_PROPERTY_NAME_TOO_WIDE: property name too wide.
	WBEM_E_PROPERTY_NAME_TOO_WIDE Status = 0x80041073
	// WBEM_E_CLASS_NAME_TOO_WIDE: class name too wide.
	WBEM_E_CLASS_NAME_TOO_WIDE Status = 0x80041074
	// WBEM_E_METHOD_NAME_TOO_WIDE: method name too wide.
	WBEM_E_METHOD_NAME_TOO_WIDE Status = 0x80041075
	// WBEM_E_QUALIFIER_NAME_TOO_WIDE: qualifier name too wide.
	WBEM_E_QUALIFIER_NAME_TOO_WIDE Status = 0x80041076
	// WBEM_E_RERUN_COMMAND: rerun command.
	WBEM_E_RERUN_COMMAND Status = 0x80041077
	// WBEM_E_DATABASE_VER_MISMATCH: repository version mismatch.
	WBEM_E_DATABASE_VER_MISMATCH Status = 0x80041078
	// WBEM_E_VETO_DELETE: delete vetoed.
	WBEM_E_VETO_DELETE Status = 0x80041079
	// WBEM_E_VETO_PUT: put vetoed.
	WBEM_E_VETO_PUT Status = 0x8004107A
	// WBEM_E_INVALID_LOCALE: invalid locale.
	WBEM_E_INVALID_LOCALE Status = 0x80041080
	// WBEM_E_PROVIDER_SUSPENDED: provider suspended.
	WBEM_E_PROVIDER_SUSPENDED Status = 0x80041081
	// WBEM_E_SYNCHRONIZATION_REQUIRED: synchronization required.
	WBEM_E_SYNCHRONIZATION_REQUIRED Status = 0x80041082
	// WBEM_E_NO_SCHEMA: no schema.
	WBEM_E_NO_SCHEMA Status = 0x80041083
	// WBEM_E_PROVIDER_ALREADY_REGISTERED: provider already registered.
	WBEM_E_PROVIDER_ALREADY_REGISTERED Status = 0x80041084
	// WBEM_E_PROVIDER_NOT_REGISTERED: provider not registered.
	WBEM_E_PROVIDER_NOT_REGISTERED Status = 0x80041085
	// WBEM_E_FATAL_TRANSPORT_ERROR: fatal transport error.
	WBEM_E_FATAL_TRANSPORT_ERROR Status = 0x80041086
	// WBEM_E_ENCRYPTED_CONNECTION_REQUIRED: encrypted connection required.
	WBEM_E_ENCRYPTED_CONNECTION_REQUIRED Status = 0x80041087
	// WBEM_E_PROVIDER_TIMED_OUT: provider timed out.
	WBEM_E_PROVIDER_TIMED_OUT Status = 0x80041088
	// WBEM_E_NO_KEY: no key.
	WBEM_E_NO_KEY Status = 0x80041089
	// WBEM_E_PROVIDER_DISABLED: provider disabled.
	WBEM_E_PROVIDER_DISABLED Status = 0x8004108A
	// WBEMESS_E_REGISTRATION_TOO_BROAD: event registration too broad.
	WBEMESS_E_REGISTRATION_TOO_BROAD Status = 0x80042001
	// WBEMESS_E_REGISTRATION_TOO_PRECISE: event registration too precise.
	WBEMESS_E_REGISTRATION_TOO_PRECISE Status = 0x80042002
	// WBEMESS_E_AUTHZ_NOT_PRIVILEGED: event registration not privileged.
	WBEMESS_E_AUTHZ_NOT_PRIVILEGED Status = 0x80042003
	// WBEM_E_RETRY_LATER: retry later.
	WBEM_E_RETRY_LATER Status = 0x80043001
	// WBEM_E_RESOURCE_CONTENTION: resource contention.
	WBEM_E_RESOURCE_CONTENTION Status = 0x80043002
)

var statusNames = map[Status]string{
	WBEM_S_NO_ERROR:                        "WBEM_S_NO_ERROR",
	WBEM_S_FALSE:                           "WBEM_S_FALSE",
	WBEM_S_ALREADY_EXISTS:                  "WBEM_S_ALREADY_EXISTS",
	WBEM_S_RESET_TO_DEFAULT:                "WBEM_S_RESET_TO_DEFAULT",
	WBEM_S_DIFFERENT:                       "WBEM_S_DIFFERENT",
	WBEM_S_TIMEDOUT:                        "WBEM_S_TIMEDOUT",
	WBEM_S_NO_MORE_DATA:                    "WBEM_S_NO_MORE_DATA",
	WBEM_S_OPERATION_CANCELLED:             "WBEM_S_OPERATION_CANCELLED",
	WBEM_S_PENDING:                         "WBEM_S_PENDING",
	WBEM_S_DUPLICATE_OBJECTS:               "WBEM_S_DUPLICATE_OBJECTS",
	WBEM_S_ACCESS_DENIED:                   "WBEM_S_ACCESS_DENIED",
	WBEM_S_PARTIAL_RESULTS:                 "WBEM_S_PARTIAL_RESULTS",
	WBEM_S_SOURCE_NOT_AVAILABLE:            "WBEM_S_SOURCE_NOT_AVAILABLE",
	WBEM_S_LIMITED_SERVICE:                 "WBEM_S_LIMITED_SERVICE",
	WBEM_S_INDIRECTLY_UPDATED:              "WBEM_S_INDIRECTLY_UPDATED",
	WBEM_E_FAILED:                          "WBEM_E_FAILED",
	WBEM_E_NOT_FOUND:                       "WBEM_E_NOT_FOUND",
	WBEM_E_ACCESS_DENIED:                   "WBEM_E_ACCESS_DENIED",
	WBEM_E_PROVIDER_FAILURE:                "WBEM_E_PROVIDER_FAILURE",
	WBEM_E_TYPE_MISMATCH:                   "WBEM_E_TYPE_MISMATCH",
	WBEM_E_OUT_OF_MEMORY:                   "WBEM_E_OUT_OF_MEMORY",
	WBEM_E_INVALID_CONTEXT:                 "WBEM_E_INVALID_CONTEXT",
	WBEM_E_INVALID_PARAMETER:               "WBEM_E_INVALID_PARAMETER",
	WBEM_E_NOT_AVAILABLE:                   "WBEM_E_NOT_AVAILABLE",
	WBEM_E_CRITICAL_ERROR:                  "WBEM_E_CRITICAL_ERROR",
	WBEM_E_INVALID_STREAM:                  "WBEM_E_INVALID_STREAM",
	WBEM_E_NOT_SUPPORTED:                   "WBEM_E_NOT_SUPPORTED",
	WBEM_E_INVALID_SUPERCLASS:              "WBEM_E_INVALID_SUPERCLASS",
	WBEM_E_INVALID_NAMESPACE:               "WBEM_E_INVALID_NAMESPACE",
	WBEM_E_INVALID_OBJECT:                  "WBEM_E_INVALID_OBJECT",
	WBEM_E_INVALID_CLASS:                   "WBEM_E_INVALID_CLASS",
	WBEM_E_PROVIDER_NOT_FOUND:              "WBEM_E_PROVIDER_NOT_FOUND",
	WBEM_E_INVALID_PROVIDER_REGISTRATION:   "WBEM_E_INVALID_PROVIDER_REGISTRATION",
	WBEM_E_PROVIDER_LOAD_FAILURE:           "WBEM_E_PROVIDER_LOAD_FAILURE",
	WBEM_E_INITIALIZATION_FAILURE:          "WBEM_E_INITIALIZATION_FAILURE",
	WBEM_E_TRANSPORT_FAILURE:               "WBEM_E_TRANSPORT_FAILURE",
	WBEM_E_INVALID_OPERATION:               "WBEM_E_INVALID_OPERATION",
	WBEM_E_INVALID_QUERY:                   "WBEM_E_INVALID_QUERY",
	WBEM_E_INVALID_QUERY_TYPE:              "WBEM_E_INVALID_QUERY_TYPE",
	WBEM_E_ALREADY_EXISTS:                  "WBEM_E_ALREADY_EXISTS",
	WBEM_E_OVERRIDE_NOT_ALLOWED:            "WBEM_E_OVERRIDE_NOT_ALLOWED",
	WBEM_E_PROPAGATED_QUALIFIER:            "WBEM_E_PROPAGATED_QUALIFIER",
	WBEM_E_PROPAGATED_PROPERTY:             "WBEM_E_PROPAGATED_PROPERTY",
	WBEM_E_UNEXPECTED:                      "WBEM_E_UNEXPECTED",
	WBEM_E_ILLEGAL_OPERATION:               "WBEM_E_ILLEGAL_OPERATION",
	WBEM_E_CANNOT_BE_KEY:                   "WBEM_E_CANNOT_BE_KEY",
	WBEM_E_INCOMPLETE_CLASS:                "WBEM_E_INCOMPLETE_CLASS",
	WBEM_E_INVALID_SYNTAX:                  "WBEM_E_INVALID_SYNTAX",
	WBEM_E_NONDECORATED_OBJECT:             "WBEM_E_NONDECORATED_OBJECT",
	WBEM_E_READ_ONLY:                       "WBEM_E_READ_ONLY",
	WBEM_E_PROVIDER_NOT_CAPABLE:            "WBEM_E_PROVIDER_NOT_CAPABLE",
	WBEM_E_CLASS_HAS_CHILDREN:              "WBEM_E_CLASS_HAS_CHILDREN",
	WBEM_E_CLASS_HAS_INSTANCES:             "WBEM_E_CLASS_HAS_INSTANCES",
	WBEM_E_QUERY_NOT_IMPLEMENTED:           "WBEM_E_QUERY_NOT_IMPLEMENTED",
	WBEM_E_ILLEGAL_NULL:                    "WBEM_E_ILLEGAL_NULL",
	WBEM_E_INVALID_QUALIFIER_TYPE:          "WBEM_E_INVALID_QUALIFIER_TYPE",
	WBEM_E_INVALID_PROPERTY_TYPE:           "WBEM_E_INVALID_PROPERTY_TYPE",
	WBEM_E_VALUE_OUT_OF_RANGE:              "WBEM_E_VALUE_OUT_OF_RANGE",
	WBEM_E_CANNOT_BE_SINGLETON:             "WBEM_E_CANNOT_BE_SINGLETON",
	WBEM_E_INVALID_CIM_TYPE:                "WBEM_E_INVALID_CIM_TYPE",
	WBEM_E_INVALID_METHOD:                  "WBEM_E_INVALID_METHOD",
	WBEM_E_INVALID_METHOD_PARAMETERS:       "WBEM_E_INVALID_METHOD_PARAMETERS",
	WBEM_E_SYSTEM_PROPERTY:                 "WBEM_E_SYSTEM_PROPERTY",
	WBEM_E_INVALID_PROPERTY:                "WBEM_E_INVALID_PROPERTY",
	WBEM_E_CALL_CANCELLED:                  "WBEM_E_CALL_CANCELLED",
	WBEM_E_SHUTTING_DOWN:                   "WBEM_E_SHUTTING_DOWN",
	WBEM_E_PROPAGATED_METHOD:               "WBEM_E_PROPAGATED_METHOD",
	WBEM_E_UNSUPPORTED_PARAMETER:           "WBEM_E_UNSUPPORTED_PARAMETER",
	WBEM_E_MISSING_PARAMETER_ID:            "WBEM_E_MISSING_PARAMETER_ID",
	WBEM_E_INVALID_PARAMETER_ID:            "WBEM_E_INVALID_PARAMETER_ID",
	WBEM_E_NONCONSECUTIVE_PARAMETER_IDS:    "WBEM_E_NONCONSECUTIVE_PARAMETER_IDS",
	WBEM_E_PARAMETER_ID_ON_RETVAL:          "WBEM_E_PARAMETER_ID_ON_RETVAL",
	WBEM_E_INVALID_OBJECT_PATH:             "WBEM_E_INVALID_OBJECT_PATH",
	WBEM_E_OUT_OF_DISK_SPACE:               "WBEM_E_OUT_OF_DISK_SPACE",
	WBEM_E_BUFFER_TOO_SMALL:                "WBEM_E_BUFFER_TOO_SMALL",
	WBEM_E_UNSUPPORTED_PUT_EXTENSION:       "WBEM_E_UNSUPPORTED_PUT_EXTENSION",
	WBEM_E_UNKNOWN_OBJECT_TYPE:             "WBEM_E_UNKNOWN_OBJECT_TYPE",
	WBEM_E_UNKNOWN_PACKET_TYPE:             "WBEM_E_UNKNOWN_PACKET_TYPE",
	WBEM_E_MARSHAL_VERSION_MISMATCH:        "WBEM_E_MARSHAL_VERSION_MISMATCH",
	WBEM_E_MARSHAL_INVALID_SIGNATURE:       "WBEM_E_MARSHAL_INVALID_SIGNATURE",
	WBEM_E_INVALID_QUALIFIER:               "WBEM_E_INVALID_QUALIFIER",
	WBEM_E_INVALID_DUPLICATE_PARAMETER:     "WBEM_E_INVALID_DUPLICATE_PARAMETER",
	WBEM_E_TOO_MUCH_DATA:                   "WBEM_E_TOO_MUCH_DATA",
	WBEM_E_SERVER_TOO_BUSY:                 "WBEM_E_SERVER_TOO_BUSY",
	WBEM_E_INVALID_FLAVOR:                  "WBEM_E_INVALID_FLAVOR",
	WBEM_E_CIRCULAR_REFERENCE:              "WBEM_E_CIRCULAR_REFERENCE",
	WBEM_E_UNSUPPORTED_CLASS_UPDATE:        "WBEM_E_UNSUPPORTED_CLASS_UPDATE",
	WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE:   "WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE",
	WBEM_E_CANNOT_CHANGE_INDEX_INHERITANCE: "WBEM_E_CANNOT_CHANGE_INDEX_INHERITANCE",
	WBEM_E_TOO_MANY_PROPERTIES:             "WBEM_E_TOO_MANY_PROPERTIES",
	WBEM_E_UPDATE_TYPE_MISMATCH:            "WBEM_E_UPDATE_TYPE_MISMATCH",
	WBEM_E_UPDATE_OVERRIDE_NOT_ALLOWED:     "WBEM_E_UPDATE_OVERRIDE_NOT_ALLOWED",
	WBEM_E_UPDATE_PROPAGATED_METHOD:        "WBEM_E_UPDATE_PROPAGATED_METHOD",
	WBEM_E_METHOD_NOT_IMPLEMENTED:          "WBEM_E_METHOD_NOT_IMPLEMENTED",
	WBEM_E_METHOD_DISABLED:                 "WBEM_E_METHOD_DISABLED",
	WBEM_E_REFRESHER_BUSY:                  "WBEM_E_REFRESHER_BUSY",
	WBEM_E_UNPARSABLE_QUERY:                "WBEM_E_UNPARSABLE_QUERY",
	WBEM_E_NOT_EVENT_CLASS:                 "WBEM_E_NOT_EVENT_CLASS",
	WBEM_E_MISSING_GROUP_WITHIN:            "WBEM_E_MISSING_GROUP_WITHIN",
	WBEM_E_MISSING_AGGREGATION_LIST:        "WBEM_E_MISSING_AGGREGATION_LIST",
	WBEM_E_PROPERTY_NOT_AN_OBJECT:          "WBEM_E_PROPERTY_NOT_AN_OBJECT",
	WBEM_E_AGGREGATING_BY_OBJECT:           "WBEM_E_AGGREGATING_BY_OBJECT",
	WBEM_E_UNINTERPRETABLE_PROVIDER_QUERY:  "WBEM_E_UNINTERPRETABLE_PROVIDER_QUERY",
	WBEM_E_BACKUP_RESTORE_WINMGMT_RUNNING:  "WBEM_E_BACKUP_RESTORE_WINMGMT_RUNNING",
	WBEM_E_QUEUE_OVERFLOW:                  "WBEM_E_QUEUE_OVERFLOW",
	WBEM_E_PRIVILEGE_NOT_HELD:              "WBEM_E_PRIVILEGE_NOT_HELD",
	WBEM_E_INVALID_OPERATOR:                "WBEM_E_INVALID_OPERATOR",
	WBEM_E_LOCAL_CREDENTIALS:               "WBEM_E_LOCAL_CREDENTIALS",
	WBEM_E_CANNOT_BE_ABSTRACT:              "WBEM_E_CANNOT_BE_ABSTRACT",
	WBEM_E_AMENDED_OBJECT:                  "WBEM_E_AMENDED_OBJECT",
	WBEM_E_CLIENT_TOO_SLOW:                 "WBEM_E_CLIENT_TOO_SLOW",
	WBEM_E_NULL_SECURITY_DESCRIPTOR:        "WBEM_E_NULL_SECURITY_DESCRIPTOR",
	WBEM_E_TIMED_OUT:                       "WBEM_E_TIMED_OUT",
	WBEM_E_INVALID_ASSOCIATION:             "WBEM_E_INVALID_ASSOCIATION",
	WBEM_E_AMBIGUOUS_OPERATION:             "WBEM_E_AMBIGUOUS_OPERATION",
	WBEM_E_QUOTA_VIOLATION:                 "WBEM_E_QUOTA_VIOLATION",
	WBEM_E_RESERVED_001:                    "WBEM_E_RESERVED_001",
	WBEM_E_RESERVED_002:                    "WBEM_E_RESERVED_002",
	WBEM_E_UNSUPPORTED_LOCALE:              "WBEM_E_UNSUPPORTED_LOCALE",
	WBEM_E_HANDLE_OUT_OF_DATE:              "WBEM_E_HANDLE_OUT_OF_DATE",
	WBEM_E_CONNECTION_FAILED:               "WBEM_E_CONNECTION_FAILED",
	WBEM_E_INVALID_HANDLE_REQUEST:          "WBEM_E_INVALID_HANDLE_REQUEST",
	WBEM_E_PROPERTY_NAME_TOO_WIDE:          "WBEM_E_PROPERTY_NAME_TOO_WIDE",
	WBEM_E_CLASS_NAME_TOO_WIDE:             "WBEM_E_CLASS_NAME_TOO_WIDE",
	WBEM_E_METHOD_NAME_TOO_WIDE:            "WBEM_E_METHOD_NAME_TOO_WIDE",
	WBEM_E_QUALIFIER_NAME_TOO_WIDE:         "WBEM_E_QUALIFIER_NAME_TOO_WIDE",
	WBEM_E_RERUN_COMMAND:                   "WBEM_E_RERUN_COMMAND",
	WBEM_E_DATABASE_VER_MISMATCH:           "WBEM_E_DATABASE_VER_MISMATCH",
	WBEM_E_VETO_DELETE:                     "WBEM_E_VETO_DELETE",
	WBEM_E_VETO_PUT:                        "WBEM_E_VETO_PUT",
	WBEM_E_INVALID_LOCALE:                  "WBEM_E_INVALID_LOCALE",
	WBEM_E_PROVIDER_SUSPENDED:              "WBEM_E_PROVIDER_SUSPENDED",
	WBEM_E_SYNCHRONIZATION_REQUIRED:        "WBEM_E_SYNCHRONIZATION_REQUIRED",
	WBEM_E_NO_SCHEMA:                       "WBEM_E_NO_SCHEMA",
	WBEM_E_PROVIDER_ALREADY_REGISTERED:     "WBEM_E_PROVIDER_ALREADY_REGISTERED",
	WBEM_E_PROVIDER_NOT_REGISTERED:         "WBEM_E_PROVIDER_NOT_REGISTERED",
	WBEM_E_FATAL_TRANSPORT_ERROR:           "WBEM_E_FATAL_TRANSPORT_ERROR",
	WBEM_E_ENCRYPTED_CONNECTION_REQUIRED:   "WBEM_E_ENCRYPTED_CONNECTION_REQUIRED",
	WBEM_E_PROVIDER_TIMED_OUT:              "WBEM_E_PROVIDER_TIMED_OUT",
	WBEM_E_NO_KEY:                          "WBEM_E_NO_KEY",
	WBEM_E_PROVIDER_DISABLED:               "WBEM_E_PROVIDER_DISABLED",
	WBEMESS_E_REGISTRATION_TOO_BROAD:       "WBEMESS_E_REGISTRATION_TOO_BROAD",
	WBEMESS_E_REGISTRATION_TOO_PRECISE:     "WBEMESS_E_REGISTRATION_TOO_PRECISE",
	WBEMESS_E_AUTHZ_NOT_PRIVILEGED:         "WBEMESS_E_AUTHZ_NOT_PRIVILEGED",
	WBEM_E_RETRY_LATER:                     "WBEM_E_RETRY_LATER",
	WBEM_E_RESOURCE_CONTENTION:             "WBEM_E_RESOURCE_CONTENTION",
}

var statusText = map[Status]string{
	WBEM_S_NO_ERROR:                        "success",
	WBEM_S_FALSE:                           "end of enumeration or fewer objects than requested",
	WBEM_S_ALREADY_EXISTS:                  "the object already existed",
	WBEM_S_RESET_TO_DEFAULT:                "deleting an override restored the inherited value",
	WBEM_S_DIFFERENT:                       "the compared objects differ",
	WBEM_S_TIMEDOUT:                        "the call timed out; partial results are valid",
	WBEM_S_NO_MORE_DATA:                    "no more data",
	WBEM_S_OPERATION_CANCELLED:             "the operation was cancelled",
	WBEM_S_PENDING:                         "the operation is still in progress",
	WBEM_S_DUPLICATE_OBJECTS:               "the result set holds duplicates",
	WBEM_S_ACCESS_DENIED:                   "some resources were denied",
	WBEM_S_PARTIAL_RESULTS:                 "some resources were unavailable",
	WBEM_S_SOURCE_NOT_AVAILABLE:            "the source is not available",
	WBEM_S_LIMITED_SERVICE:                 "the provider runs in a limited service",
	WBEM_S_INDIRECTLY_UPDATED:              "reserved",
	WBEM_E_FAILED:                          "unspecified failure",
	WBEM_E_NOT_FOUND:                       "object not found",
	WBEM_E_ACCESS_DENIED:                   "access denied",
	WBEM_E_PROVIDER_FAILURE:                "provider failure",
	WBEM_E_TYPE_MISMATCH:                   "type mismatch",
	WBEM_E_OUT_OF_MEMORY:                   "out of memory",
	WBEM_E_INVALID_CONTEXT:                 "invalid context",
	WBEM_E_INVALID_PARAMETER:               "invalid parameter",
	WBEM_E_NOT_AVAILABLE:                   "resource not available",
	WBEM_E_CRITICAL_ERROR:                  "critical internal error",
	WBEM_E_INVALID_STREAM:                  "invalid stream",
	WBEM_E_NOT_SUPPORTED:                   "not supported",
	WBEM_E_INVALID_SUPERCLASS:              "invalid superclass",
	WBEM_E_INVALID_NAMESPACE:               "invalid namespace",
	WBEM_E_INVALID_OBJECT:                  "invalid object",
	WBEM_E_INVALID_CLASS:                   "invalid class",
	WBEM_E_PROVIDER_NOT_FOUND:              "provider not found",
	WBEM_E_INVALID_PROVIDER_REGISTRATION:   "invalid provider registration",
	WBEM_E_PROVIDER_LOAD_FAILURE:           "provider load failure",
	WBEM_E_INITIALIZATION_FAILURE:          "initialization failure",
	WBEM_E_TRANSPORT_FAILURE:               "transport failure",
	WBEM_E_INVALID_OPERATION:               "invalid operation",
	WBEM_E_INVALID_QUERY:                   "invalid query",
	WBEM_E_INVALID_QUERY_TYPE:              "invalid query language",
	WBEM_E_ALREADY_EXISTS:                  "already exists",
	WBEM_E_OVERRIDE_NOT_ALLOWED:            "override not allowed",
	WBEM_E_PROPAGATED_QUALIFIER:            "propagated qualifier",
	WBEM_E_PROPAGATED_PROPERTY:             "propagated property",
	WBEM_E_UNEXPECTED:                      "unexpected call sequence",
	WBEM_E_ILLEGAL_OPERATION:               "illegal operation",
	WBEM_E_CANNOT_BE_KEY:                   "property cannot be a key",
	WBEM_E_INCOMPLETE_CLASS:                "incomplete class",
	WBEM_E_INVALID_SYNTAX:                  "invalid syntax",
	WBEM_E_NONDECORATED_OBJECT:             "nondecorated object",
	WBEM_E_READ_ONLY:                       "read-only",
	WBEM_E_PROVIDER_NOT_CAPABLE:            "provider not capable",
	WBEM_E_CLASS_HAS_CHILDREN:              "class has children",
	WBEM_E_CLASS_HAS_INSTANCES:             "class has instances",
	WBEM_E_QUERY_NOT_IMPLEMENTED:           "query not implemented",
	WBEM_E_ILLEGAL_NULL:                    "illegal null",
	WBEM_E_INVALID_QUALIFIER_TYPE:          "invalid qualifier type",
	WBEM_E_INVALID_PROPERTY_TYPE:           "invalid property type",
	WBEM_E_VALUE_OUT_OF_RANGE:              "value out of range",
	WBEM_E_CANNOT_BE_SINGLETON:             "cannot be singleton",
	WBEM_E_INVALID_CIM_TYPE:                "invalid CIM type",
	WBEM_E_INVALID_METHOD:                  "invalid method",
	WBEM_E_INVALID_METHOD_PARAMETERS:       "invalid method parameters",
	WBEM_E_SYSTEM_PROPERTY:                 "system property",
	WBEM_E_INVALID_PROPERTY:                "invalid property",
	WBEM_E_CALL_CANCELLED:                  "call cancelled",
	WBEM_E_SHUTTING_DOWN:                   "shutting down",
	WBEM_E_PROPAGATED_METHOD:               "propagated method",
	WBEM_E_UNSUPPORTED_PARAMETER:           "unsupported parameter",
	WBEM_E_MISSING_PARAMETER_ID:            "missing parameter ID",
	WBEM_E_INVALID_PARAMETER_ID:            "invalid parameter ID",
	WBEM_E_NONCONSECUTIVE_PARAMETER_IDS:    "nonconsecutive parameter IDs",
	WBEM_E_PARAMETER_ID_ON_RETVAL:          "parameter ID on return value",
	WBEM_E_INVALID_OBJECT_PATH:             "invalid object path",
	WBEM_E_OUT_OF_DISK_SPACE:               "out of disk space",
	WBEM_E_BUFFER_TOO_SMALL:                "buffer too small",
	WBEM_E_UNSUPPORTED_PUT_EXTENSION:       "unsupported put extension",
	WBEM_E_UNKNOWN_OBJECT_TYPE:             "unknown object type",
	WBEM_E_UNKNOWN_PACKET_TYPE:             "unknown packet type",
	WBEM_E_MARSHAL_VERSION_MISMATCH:        "marshal version mismatch",
	WBEM_E_MARSHAL_INVALID_SIGNATURE:       "marshal invalid signature",
	WBEM_E_INVALID_QUALIFIER:               "invalid qualifier",
	WBEM_E_INVALID_DUPLICATE_PARAMETER:     "duplicate parameter",
	WBEM_E_TOO_MUCH_DATA:                   "too much data",
	WBEM_E_SERVER_TOO_BUSY:                 "server too busy",
	WBEM_E_INVALID_FLAVOR:                  "invalid flavor",
	WBEM_E_CIRCULAR_REFERENCE:              "circular reference",
	WBEM_E_UNSUPPORTED_CLASS_UPDATE:        "unsupported class update",
	WBEM_E_CANNOT_CHANGE_KEY_INHERITANCE:   "cannot change key inheritance",
	WBEM_E_CANNOT_CHANGE_INDEX_INHERITANCE: "cannot change index inheritance",
	WBEM_E_TOO_MANY_PROPERTIES:             "too many properties",
	WBEM_E_UPDATE_TYPE_MISMATCH:            "update type mismatch",
	WBEM_E_UPDATE_OVERRIDE_NOT_ALLOWED:     "update override not allowed",
	WBEM_E_UPDATE_PROPAGATED_METHOD:        "update propagated method",
	WBEM_E_METHOD_NOT_IMPLEMENTED:          "method not implemented",
	WBEM_E_METHOD_DISABLED:                 "method disabled",
	WBEM_E_REFRESHER_BUSY:                  "refresher busy",
	WBEM_E_UNPARSABLE_QUERY:                "unparsable query",
	WBEM_E_NOT_EVENT_CLASS:                 "not an event class",
	WBEM_E_MISSING_GROUP_WITHIN:            "missing GROUP WITHIN",
	WBEM_E_MISSING_AGGREGATION_LIST:        "missing aggregation list",
	WBEM_E_PROPERTY_NOT_AN_OBJECT:          "property not an object",
	WBEM_E_AGGREGATING_BY_OBJECT:           "aggregating by object",
	WBEM_E_UNINTERPRETABLE_PROVIDER_QUERY:  "uninterpretable provider query",
	WBEM_E_BACKUP_RESTORE_WINMGMT_RUNNING:  "backup or restore running",
	WBEM_E_QUEUE_OVERFLOW:                  "queue overflow",
	WBEM_E_PRIVILEGE_NOT_HELD:              "privilege not held",
	WBEM_E_INVALID_OPERATOR:                "invalid operator",
	WBEM_E_LOCAL_CREDENTIALS:               "credentials on a local connection",
	WBEM_E_CANNOT_BE_ABSTRACT:              "cannot be abstract",
	WBEM_E_AMENDED_OBJECT:                  "amended object",
	WBEM_E_CLIENT_TOO_SLOW:                 "client too slow",
	WBEM_E_NULL_SECURITY_DESCRIPTOR:        "null security descriptor",
	WBEM_E_TIMED_OUT:                       "timed out",
	WBEM_E_INVALID_ASSOCIATION:             "invalid association",
	WBEM_E_AMBIGUOUS_OPERATION:             "ambiguous operation",
	WBEM_E_QUOTA_VIOLATION:                 "quota violation",
	WBEM_E_RESERVED_001:                    "transaction conflict",
	WBEM_E_RESERVED_002:                    "forced rollback",
	WBEM_E_UNSUPPORTED_LOCALE:              "unsupported locale",
	WBEM_E_HANDLE_OUT_OF_DATE:              "handle out of date",
	WBEM_E_CONNECTION_FAILED:               "connection failed",
	WBEM_E_INVALID_HANDLE_REQUEST:          "invalid handle request",
	WBEM_E_PROPERTY_NAME_TOO_WIDE:          "property name too wide",
	WBEM_E_CLASS_NAME_TOO_WIDE:             "class name too wide",
	WBEM_E_METHOD_NAME_TOO_WIDE:            "method name too wide",
	WBEM_E_QUALIFIER_NAME_TOO_WIDE:         "qualifier name too wide",
	WBEM_E_RERUN_COMMAND:                   "rerun command",
	WBEM_E_DATABASE_VER_MISMATCH:           "repository version mismatch",
	WBEM_E_VETO_DELETE:                     "delete vetoed",
	WBEM_E_VETO_PUT:                        "put vetoed",
	WBEM_E_INVALID_LOCALE:                  "invalid locale",
	WBEM_E_PROVIDER_SUSPENDED:              "provider suspended",
	WBEM_E_SYNCHRONIZATION_REQUIRED:        "synchronization required",
	WBEM_E_NO_SCHEMA:                       "no schema",
	WBEM_E_PROVIDER_ALREADY_REGISTERED:     "provider already registered",
	WBEM_E_PROVIDER_NOT_REGISTERED:         "provider not registered",
	WBEM_E_FATAL_TRANSPORT_ERROR:           "fatal transport error",
	WBEM_E_ENCRYPTED_CONNECTION_REQUIRED:   "encrypted connection required",
	WBEM_E_PROVIDER_TIMED_OUT:              "provider timed out",
	WBEM_E_NO_KEY:                          "no key",
	WBEM_E_PROVIDER_DISABLED:               "provider disabled",
	WBEMESS_E_REGISTRATION_TOO_BROAD:       "event registration too broad",
	WBEMESS_E_REGISTRATION_TOO_PRECISE:     "event registration too precise",
	WBEMESS_E_AUTHZ_NOT_PRIVILEGED:         "event registration not privileged",
	WBEM_E_RETRY_LATER:                     "retry later",
	WBEM_E_RESOURCE_CONTENTION:             "resource contention",
}
