package cimxml

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/gowbem/gowbem/cim"
)

// errorCode returns err as a WBEM error and the CIM status code to report
// it with.
func errorCode(err error) (*cim.Error, cim.CIMStatus) {
	var ce *codedError
	if errors.As(err, &ce) {
		return ce.err, ce.code
	}
	e := cim.AsError(err)
	return e, e.Status.CIMStatus()
}

// description is the text of an ERROR's DESCRIPTION: the WBEM
// description, or the status's text when there is none.
func description(e *cim.Error) string {
	if e.Description != "" {
		return e.Description
	}
	return e.Status.Text()
}

// writeError writes ERROR for a WBEM failure: its CIM status code and
// description, and with instances a CIM_Error instance that carries the
// WBEM status exactly (see ExtensionHeader). The element is empty
// otherwise: wbemcli reads nothing else.
func writeError(w *bytes.Buffer, e *cim.Error, code cim.CIMStatus, instances bool) {
	if code == cim.CIM_ERR_SUCCESS {
		code = cim.CIM_ERR_FAILED
	}
	w.WriteString(`<ERROR CODE="` + strconv.Itoa(int(code)) + `" DESCRIPTION="`)
	escapeAttr(w, description(e))
	if !instances {
		w.WriteString(`"/>`)
		return
	}
	w.WriteString(`"><INSTANCE CLASSNAME="CIM_Error">`)
	prop := func(name, typ, v string) {
		w.WriteString(`<PROPERTY NAME="` + name + `" TYPE="` + typ + `"><VALUE>`)
		escapeText(w, v)
		w.WriteString("</VALUE></PROPERTY>")
	}
	prop("OwningEntity", "string", "gowbem")
	prop("MessageID", "string", fmt.Sprintf("0x%08X", uint32(e.Status)))
	prop("Message", "string", description(e))
	w.WriteString(`<PROPERTY.ARRAY NAME="MessageArguments" TYPE="string"><VALUE.ARRAY>`)
	for _, a := range []string{e.Operation, e.Parameter, e.Provider} {
		w.WriteString("<VALUE>")
		escapeText(w, a)
		w.WriteString("</VALUE>")
	}
	w.WriteString(`</VALUE.ARRAY></PROPERTY.ARRAY>`)
	prop("CIMStatusCode", "uint32", strconv.Itoa(int(code)))
	prop("CIMStatusCodeDescription", "string", code.String())
	w.WriteString("</INSTANCE></ERROR>")
}

// readError turns a received ERROR into the WBEM error it reports: exactly
// the server's when it holds gowbem's CIM_Error, otherwise the WBEM status
// the CIM status code stands for.
func readError(n *node) *cim.Error {
	code, _ := n.attr("CODE")
	c, err := strconv.Atoi(strings.TrimSpace(code))
	if err != nil {
		c = int(cim.CIM_ERR_FAILED)
	}
	e := &cim.Error{Status: cim.CIMStatus(c).Status()}
	e.Description, _ = n.attr("DESCRIPTION")
	for _, k := range n.Kids {
		if k.Name != "INSTANCE" {
			continue
		}
		if name, _ := k.attr("CLASSNAME"); !strings.EqualFold(name, "CIM_Error") {
			continue
		}
		props := map[string]*node{}
		for _, p := range k.Kids {
			if name, ok := p.attr("NAME"); ok {
				props[name] = p
			}
		}
		if v := props["OwningEntity"].child("VALUE"); v == nil || v.Text != "gowbem" {
			continue
		}
		if v := props["MessageID"].child("VALUE"); v != nil {
			if s, err := strconv.ParseUint(strings.TrimPrefix(v.Text, "0x"), 16, 32); err == nil {
				e.Status = cim.Status(s)
			}
		}
		if v := props["Message"].child("VALUE"); v != nil {
			e.Description = v.Text
		}
		if a := props["MessageArguments"].child("VALUE.ARRAY"); a != nil && len(a.Kids) == 3 {
			e.Operation, e.Parameter, e.Provider = a.Kids[0].Text, a.Kids[1].Text, a.Kids[2].Text
		}
		break
	}
	if e.Description == "" {
		e.Description = cim.CIMStatus(c).String()
	}
	return e
}
