package cimom

import (
	"context"
	"strings"

	"github.com/gowbem/gowbem/cim"
	"github.com/gowbem/gowbem/repository"
	"github.com/gowbem/gowbem/wbem"
)

// checkLanguage accepts the query language WMI accepts: "WQL".
func checkLanguage(lang string) error {
	if lang != "WQL" {
		return &cim.Error{Status: cim.WBEM_E_INVALID_QUERY_TYPE, Parameter: lang,
			Description: "query language " + lang + " is not supported: use WQL"}
	}
	return nil
}

// simpleSelect parses "SELECT * FROM Class" (the form the core supports until
// the WQL engine is wired in).
func simpleSelect(q string) (string, error) {
	f := strings.Fields(q)
	if len(f) != 4 || !strings.EqualFold(f[0], "SELECT") || f[1] != "*" || !strings.EqualFold(f[2], "FROM") {
		return "", &cim.Error{Status: cim.WBEM_E_INVALID_QUERY, Parameter: q, Description: "expected SELECT * FROM class"}
	}
	return f[3], nil
}

func (om *ObjectManager) execQuery(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	if err := checkLanguage(op.Language); err != nil {
		return err
	}
	class, err := simpleSelect(op.Query)
	if err != nil {
		return err
	}
	return om.enumerate(ctx, op.Namespace, class, true, nil, &emitter{w: w, server: om.server, ns: op.Namespace})
}

func (om *ObjectManager) execNotificationQuery(ctx context.Context, op *wbem.Op, w wbem.ResultWriter) error {
	if err := checkLanguage(op.Language); err != nil {
		return err
	}
	f := strings.Fields(op.Query)
	if len(f) < 4 || !strings.EqualFold(f[0], "SELECT") || !strings.EqualFold(f[2], "FROM") {
		return &cim.Error{Status: cim.WBEM_E_UNPARSABLE_QUERY, Parameter: op.Query, Description: "expected SELECT … FROM event-class"}
	}
	err := om.store.View(ctx, func(tx repository.Tx) error {
		c, err := om.class(tx, op.Namespace, f[3])
		if err != nil {
			return err
		}
		if !c.IsA("__Event") {
			return &cim.Error{Status: cim.WBEM_E_NOT_EVENT_CLASS, Parameter: c.Name, Description: "class " + c.Name + " is not an event class (it does not derive from __Event)"}
		}
		return nil
	})
	if err != nil {
		return err
	}
	// The event engine is later work: the subscription stays open, delivering
	// nothing, until it is released.
	<-ctx.Done()
	return ctx.Err()
}
