package wbem

import (
	"fmt"
	"time"

	"github.com/gowbem/gowbem/cim"
)

// Flag is the lFlags argument of WMI's calls: generic, change and query flags,
// with WMI's names and numbers.
type Flag int32

// Generic flags (WBEM_GENERIC_FLAG_TYPE).
const (
	WBEM_FLAG_RETURN_WBEM_COMPLETE   Flag = 0
	WBEM_FLAG_RETURN_IMMEDIATELY     Flag = 0x10 // semisynchronous
	WBEM_FLAG_BIDIRECTIONAL          Flag = 0
	WBEM_FLAG_FORWARD_ONLY           Flag = 0x20
	WBEM_FLAG_NO_ERROR_OBJECT        Flag = 0x40
	WBEM_FLAG_RETURN_ERROR_OBJECT    Flag = 0
	WBEM_FLAG_SEND_STATUS            Flag = 0x80
	WBEM_FLAG_DONT_SEND_STATUS       Flag = 0
	WBEM_FLAG_ENSURE_LOCATABLE       Flag = 0x100
	WBEM_FLAG_DIRECT_READ            Flag = 0x200
	WBEM_FLAG_SEND_ONLY_SELECTED     Flag = 0
	WBEM_MASK_RESERVED_FLAGS         Flag = 0x1F000
	WBEM_FLAG_USE_AMENDED_QUALIFIERS Flag = 0x20000
	WBEM_FLAG_STRONG_VALIDATION      Flag = 0x100000
	WBEM_FLAG_OWNER_UPDATE           Flag = 0x10000 // wbemprov.h

	// WBEM_RETURN_WHEN_COMPLETE and WBEM_RETURN_IMMEDIATELY are the older names.
	WBEM_RETURN_WHEN_COMPLETE Flag = 0
	WBEM_RETURN_IMMEDIATELY   Flag = 0x10
)

// Change flags (WBEM_CHANGE_FLAG_TYPE) for PutClass and PutInstance.
const (
	WBEM_FLAG_CREATE_OR_UPDATE  Flag = 0
	WBEM_FLAG_UPDATE_ONLY       Flag = 1
	WBEM_FLAG_CREATE_ONLY       Flag = 2
	WBEM_FLAG_UPDATE_COMPATIBLE Flag = 0
	WBEM_FLAG_UPDATE_SAFE_MODE  Flag = 0x20
	WBEM_FLAG_UPDATE_FORCE_MODE Flag = 0x40
	WBEM_MASK_UPDATE_MODE       Flag = 0x60
	WBEM_FLAG_ADVISORY          Flag = 0x10000
)

// Query flags (WBEM_QUERY_FLAG_TYPE) for CreateClassEnum, CreateInstanceEnum and
// ExecQuery.
const (
	WBEM_FLAG_DEEP      Flag = 0
	WBEM_FLAG_SHALLOW   Flag = 1
	WBEM_FLAG_PROTOTYPE Flag = 2
)

// StatusType is the kind of a sink's SetStatus call (WBEM_STATUS_TYPE).
type StatusType int32

// The kinds of SetStatus call.
const (
	WBEM_STATUS_COMPLETE     StatusType = 0
	WBEM_STATUS_REQUIREMENTS StatusType = 1
	WBEM_STATUS_PROGRESS     StatusType = 2
)

// Timeouts for Next, Skip and the call result's methods (WBEM_TIMEOUT_TYPE):
// NoWait returns at once with what is there, Infinite waits until the call can
// be answered in full.
const (
	NoWait   time.Duration = 0
	Infinite time.Duration = -1

	WBEM_NO_WAIT  = NoWait
	WBEM_INFINITE = Infinite
)

// Limits (WBEM_LIMITS).
const (
	WBEM_MAX_IDENTIFIER      = 0x1000
	WBEM_MAX_QUERY           = 0x4000
	WBEM_MAX_PATH            = 0x2000
	WBEM_MAX_OBJECT_NESTING  = 64
	WBEM_MAX_USER_PROPERTIES = 1024
)

// Genus values (WBEM_GENUS_TYPE).
const (
	WBEM_GENUS_CLASS    = cim.GenusClass
	WBEM_GENUS_INSTANCE = cim.GenusInstance
)

// Flavor bits of qualifiers (WBEM_FLAVOR_TYPE).
const (
	WBEM_FLAVOR_FLAG_PROPAGATE_TO_INSTANCE      = cim.FlavorToInstance
	WBEM_FLAVOR_FLAG_PROPAGATE_TO_DERIVED_CLASS = cim.FlavorToSubclass
	WBEM_FLAVOR_NOT_OVERRIDABLE                 = cim.FlavorNotOverridable
	WBEM_FLAVOR_ORIGIN_PROPAGATED               = cim.FlavorPropagated
	WBEM_FLAVOR_ORIGIN_SYSTEM                   = cim.FlavorSystem
	WBEM_FLAVOR_AMENDED                         = cim.FlavorAmended
)

// valid flag sets per operation (spec §2.1). Sync and semisync forms accept
// RETURN_IMMEDIATELY; the async forms accept SEND_STATUS instead.
var validFlags = map[OpKind]Flag{
	OpOpenNamespace:         WBEM_FLAG_RETURN_IMMEDIATELY,
	OpGetObject:             WBEM_FLAG_USE_AMENDED_QUALIFIERS | WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_DIRECT_READ,
	OpPutClass:              WBEM_FLAG_USE_AMENDED_QUALIFIERS | WBEM_FLAG_UPDATE_ONLY | WBEM_FLAG_CREATE_ONLY | WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_OWNER_UPDATE | WBEM_MASK_UPDATE_MODE,
	OpDeleteClass:           WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_OWNER_UPDATE,
	OpCreateClassEnum:       WBEM_FLAG_USE_AMENDED_QUALIFIERS | WBEM_FLAG_SHALLOW | WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY,
	OpPutInstance:           WBEM_FLAG_UPDATE_ONLY | WBEM_FLAG_CREATE_ONLY | WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_USE_AMENDED_QUALIFIERS | WBEM_FLAG_OWNER_UPDATE,
	OpDeleteInstance:        WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_OWNER_UPDATE,
	OpCreateInstanceEnum:    WBEM_FLAG_USE_AMENDED_QUALIFIERS | WBEM_FLAG_SHALLOW | WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY | WBEM_FLAG_DIRECT_READ,
	OpExecQuery:             WBEM_FLAG_USE_AMENDED_QUALIFIERS | WBEM_FLAG_FORWARD_ONLY | WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_ENSURE_LOCATABLE | WBEM_FLAG_PROTOTYPE | WBEM_FLAG_DIRECT_READ,
	OpExecNotificationQuery: WBEM_FLAG_RETURN_IMMEDIATELY | WBEM_FLAG_FORWARD_ONLY | WBEM_FLAG_USE_AMENDED_QUALIFIERS,
	OpExecMethod:            WBEM_FLAG_RETURN_IMMEDIATELY,
	OpGetQualifier:          0,
	OpPutQualifier:          WBEM_FLAG_UPDATE_ONLY | WBEM_FLAG_CREATE_ONLY,
	OpDeleteQualifier:       0,
	OpEnumQualifiers:        0,
}

// checkFlags rejects bits an operation does not accept. Async forms swap
// RETURN_IMMEDIATELY and FORWARD_ONLY for SEND_STATUS. NO_ERROR_OBJECT is
// accepted everywhere.
func checkFlags(kind OpKind, flags Flag, async bool) error {
	valid := validFlags[kind] | WBEM_FLAG_NO_ERROR_OBJECT
	if async {
		valid &^= WBEM_FLAG_RETURN_IMMEDIATELY
		if kind != OpPutClass { // FORWARD_ONLY shares its bit with UPDATE_SAFE_MODE
			valid &^= WBEM_FLAG_FORWARD_ONLY
		}
		valid |= WBEM_FLAG_SEND_STATUS
	}
	if flags&^valid != 0 {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: kind.String(),
			Description: fmt.Sprintf("flags 0x%08X are not valid for %s", uint32(flags&^valid), kind)}
	}
	if kind == OpExecNotificationQuery && !async && flags&(WBEM_FLAG_RETURN_IMMEDIATELY|WBEM_FLAG_FORWARD_ONLY) != WBEM_FLAG_RETURN_IMMEDIATELY|WBEM_FLAG_FORWARD_ONLY {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: kind.String(),
			Description: "ExecNotificationQuery needs WBEM_FLAG_RETURN_IMMEDIATELY|WBEM_FLAG_FORWARD_ONLY (0x30)"}
	}
	if flags&WBEM_FLAG_UPDATE_ONLY != 0 && flags&WBEM_FLAG_CREATE_ONLY != 0 && (kind == OpPutClass || kind == OpPutInstance || kind == OpPutQualifier) {
		return &cim.Error{Status: cim.WBEM_E_INVALID_PARAMETER, Operation: kind.String(),
			Description: "WBEM_FLAG_UPDATE_ONLY and WBEM_FLAG_CREATE_ONLY exclude each other"}
	}
	return nil
}
