package wsman

import (
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// selector is one wsman:Selector: a name and a text value, or a nested
// endpoint reference for a reference-typed key.
type selector struct {
	Name  string
	Value string
	EPR   *epr
}

// epr is a WS-Addressing endpoint reference as WS-Management uses it: an
// address, a resource URI and selectors.
type epr struct {
	Address     string
	ResourceURI string
	Selectors   []selector
}

// option is one wsman:Option.
type option struct {
	Name, Value string
	MustComply  bool
}

// request is a parsed SOAP envelope: the addressing and WS-Management
// headers, and the first element of the body.
type request struct {
	Action, To, MessageID, ReplyTo string
	ResourceURI                    string
	Selectors                      []selector
	OperationTimeout               time.Duration // 0: not given
	MaxEnvelopeSize                int           // 0: not given
	CountEstimate                  bool          // RequestTotalItemsCountEstimate
	Options                        []option
	Fragment                       string
	HasFragment                    bool
	Locale                         string
	Identifier                     string // wse:Identifier: the subscription a Renew, GetStatus or Unsubscribe is for
	Body                           *node  // the first element in s:Body; nil when empty
}

// parseRequest reads an envelope and checks its headers.
func parseRequest(r io.Reader) (*request, error) {
	root, err := parseXML(r)
	if err != nil {
		return nil, faultMalformed(err.Error())
	}
	return requestFromTree(root)
}

func requestFromTree(root *node) (*request, error) {
	if root.Local != "Envelope" || root.Space != nsSOAP {
		if root.Local == "Envelope" {
			return nil, &fault{code: "s:VersionMismatch", action: actFaultAddressing, httpStatus: 400,
				reason: fmt.Sprintf("the envelope is in namespace %q; only SOAP 1.2 (%s) is spoken here", root.Space, nsSOAP),
				status: statusInvalidParameter}
		}
		return nil, faultMalformed(fmt.Sprintf("the root element is <%s>, not a SOAP 1.2 <Envelope>", root.Local))
	}
	req := &request{}
	var body *node
	for _, k := range root.Kids {
		switch {
		case k.Space == nsSOAP && k.Local == "Header":
			if err := req.readHeaders(k); err != nil {
				return nil, err
			}
		case k.Space == nsSOAP && k.Local == "Body":
			body = k
		default:
			return nil, faultMalformed(fmt.Sprintf("line %d: unexpected <%s> in the envelope", k.Line, k.Local))
		}
	}
	if body == nil {
		return nil, faultMalformed("the envelope has no SOAP Body")
	}
	if len(body.Kids) > 0 {
		req.Body = body.Kids[0]
	}
	return req, nil
}

func mustUnderstand(n *node) bool {
	for _, a := range n.Attrs {
		// An unqualified mustUnderstand (as pywinrm writes it) is not the
		// SOAP attribute.
		if a.Name.Local == "mustUnderstand" && a.Name.Space == nsSOAP {
			v := strings.TrimSpace(a.Value)
			return v == "true" || v == "1"
		}
	}
	return false
}

func (req *request) readHeaders(h *node) error {
	seenSelectors := false
	for _, k := range h.Kids {
		switch k.Space {
		case nsWSA:
			switch k.Local {
			case "Action":
				req.Action = k.text()
				continue
			case "To":
				req.To = k.text()
				continue
			case "MessageID":
				req.MessageID = k.text()
				continue
			case "ReplyTo":
				req.ReplyTo = k.child(nsWSA, "Address").text()
				if req.ReplyTo != "" && req.ReplyTo != anonymous && req.ReplyTo != nsWSA {
					return &fault{code: "s:Sender", subcode: "wsa:InvalidMessageInformationHeader", action: actFaultAddressing,
						reason: "ReplyTo must be the anonymous address over HTTP, not " + req.ReplyTo, status: statusInvalidParameter}
				}
				continue
			case "FaultTo", "From", "RelatesTo":
				continue
			}
		case nsWSMAN:
			switch k.Local {
			case "ResourceURI":
				req.ResourceURI = k.text()
				continue
			case "SelectorSet":
				if seenSelectors {
					return &fault{code: "s:Sender", subcode: "wsa:InvalidMessageInformationHeader", action: actFaultAddressing,
						reason: fmt.Sprintf("line %d: a second wsman:SelectorSet header; give all selectors in one", k.Line), status: statusInvalidObjectPath}
				}
				seenSelectors = true
				sels, err := readSelectors(k)
				if err != nil {
					return err
				}
				req.Selectors = sels
				continue
			case "OperationTimeout":
				d, err := parseDuration(k.text())
				if err == nil && d <= 0 {
					err = errors.New("a timeout must be positive")
				}
				if err != nil {
					return &fault{code: "s:Sender", subcode: "wsman:InvalidParameter", action: actFaultWSMan,
						reason: "OperationTimeout " + strconv.Quote(k.text()) + ": " + err.Error(), status: statusInvalidParameter}
				}
				req.OperationTimeout = d
				continue
			case "MaxEnvelopeSize":
				n, err := strconv.Atoi(k.text())
				if err != nil || n <= 0 {
					return &fault{code: "s:Sender", subcode: "wsman:InvalidParameter", action: actFaultWSMan,
						reason: "MaxEnvelopeSize " + strconv.Quote(k.text()) + " is not a positive number of bytes", status: statusInvalidParameter}
				}
				if n < MinEnvelopeSize {
					return faultEncodingLimit("MinimumEnvelopeLimit", fmt.Sprintf("MaxEnvelopeSize %d is below the minimum of %d bytes", n, MinEnvelopeSize))
				}
				req.MaxEnvelopeSize = n
				continue
			case "RequestTotalItemsCountEstimate":
				req.CountEstimate = true
				continue
			case "Locale", "DataLocale", "SessionId":
				continue
			case "OptionSet":
				for _, o := range k.Kids {
					if o.Local != "Option" {
						continue
					}
					name, _ := o.attr("", "Name")
					mc, _ := o.attr("", "MustComply")
					req.Options = append(req.Options, option{Name: name, Value: o.text(), MustComply: mc == "true" || mc == "1"})
				}
				continue
			case "FragmentTransfer":
				req.Fragment, req.HasFragment = k.text(), true
				continue
			}
		case nsMSWSMAN:
			continue // DataLocale, SessionId, … are advisory
		case nsWSE:
			if k.Local == "Identifier" {
				req.Identifier = k.text()
				continue
			}
		}
		if mustUnderstand(k) {
			return &fault{code: "s:MustUnderstand", action: actFaultAddressing,
				reason: fmt.Sprintf("header <%s> (namespace %s) is marked mustUnderstand and is not understood here", k.Local, k.Space),
				status: statusNotSupported}
		}
	}
	return nil
}

func readSelectors(set *node) ([]selector, error) {
	var out []selector
	for _, s := range set.Kids {
		if s.Local != "Selector" {
			continue
		}
		name, ok := s.attr("", "Name")
		if !ok || name == "" {
			return nil, &fault{code: "s:Sender", subcode: "wsman:InvalidSelectors", detail: "InvalidValue", action: actFaultWSMan,
				reason: fmt.Sprintf("line %d: a Selector has no Name", s.Line), status: statusInvalidObjectPath}
		}
		for _, o := range out {
			if strings.EqualFold(o.Name, name) {
				return nil, &fault{code: "s:Sender", subcode: "wsman:InvalidSelectors", detail: "DuplicateSelectors", action: actFaultWSMan,
					reason: "selector " + name + " is given twice", status: statusInvalidObjectPath}
			}
		}
		sel := selector{Name: name, Value: s.Text}
		if r := s.child(nsWSA, "EndpointReference"); r != nil {
			e, err := readEPR(r)
			if err != nil {
				return nil, err
			}
			sel.EPR, sel.Value = e, ""
		} else if len(s.Kids) > 0 {
			// A bare EPR body (Address + ReferenceParameters) also appears.
			if s.child(nsWSA, "ReferenceParameters") != nil {
				e, err := readEPR(s)
				if err != nil {
					return nil, err
				}
				sel.EPR, sel.Value = e, ""
			}
		}
		out = append(out, sel)
	}
	return out, nil
}

// readEPR reads an element holding wsa:Address and wsa:ReferenceParameters.
func readEPR(n *node) (*epr, error) {
	e := &epr{Address: n.child(nsWSA, "Address").text()}
	rp := n.child(nsWSA, "ReferenceParameters")
	if rp == nil {
		return nil, &fault{code: "s:Sender", subcode: "wsman:InvalidSelectors", detail: "InvalidValue", action: actFaultWSMan,
			reason: fmt.Sprintf("line %d: endpoint reference without ReferenceParameters", n.Line), status: statusInvalidObjectPath}
	}
	e.ResourceURI = rp.child(nsWSMAN, "ResourceURI").text()
	if set := rp.child(nsWSMAN, "SelectorSet"); set != nil {
		sels, err := readSelectors(set)
		if err != nil {
			return nil, err
		}
		e.Selectors = sels
	}
	return e, nil
}

// option returns the value of the option called name.
func (req *request) option(name string) (string, bool) {
	for _, o := range req.Options {
		if strings.EqualFold(o.Name, name) {
			return o.Value, true
		}
	}
	return "", false
}

// maxDuration bounds an xs:duration: 100 years, far below where
// time.Duration overflows.
const maxDuration = float64(100 * 365 * 24 * time.Hour)

// parseDuration parses an xs:duration (PnYnMnDTnHnMnS) as WS-Management
// uses it for timeouts. Years and months have no fixed length and are
// refused.
func parseDuration(s string) (time.Duration, error) {
	orig := s
	neg := false
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	}
	if !strings.HasPrefix(s, "P") || len(s) < 2 {
		return 0, fmt.Errorf("xs:duration %q must start with P", orig)
	}
	s = s[1:]
	var d time.Duration
	inTime := false
	seen := false
	for s != "" {
		if s[0] == 'T' {
			if inTime {
				return 0, fmt.Errorf("xs:duration %q has T twice", orig)
			}
			inTime = true
			s = s[1:]
			continue
		}
		i := 0
		for i < len(s) && (s[i] >= '0' && s[i] <= '9' || s[i] == '.') {
			i++
		}
		if i == 0 || i == len(s) {
			return 0, fmt.Errorf("xs:duration %q: expected a number and a unit at %q", orig, s)
		}
		f, err := strconv.ParseFloat(s[:i], 64)
		if err != nil || f > 1e9 {
			return 0, fmt.Errorf("xs:duration %q: bad number %q", orig, s[:i])
		}
		unit := s[i]
		s = s[i+1:]
		var u time.Duration
		switch {
		case unit == 'D' && !inTime:
			u = 24 * time.Hour
		case unit == 'H' && inTime:
			u = time.Hour
		case unit == 'M' && inTime:
			u = time.Minute
		case unit == 'S' && inTime:
			u = time.Second
		case unit == 'Y' || unit == 'M':
			return 0, fmt.Errorf("xs:duration %q: years and months have no fixed length", orig)
		default:
			return 0, fmt.Errorf("xs:duration %q: unexpected unit %q", orig, unit)
		}
		if add := f * float64(u); add >= maxDuration || float64(d)+add >= maxDuration {
			return 0, fmt.Errorf("xs:duration %q is longer than %v", orig, time.Duration(maxDuration))
		}
		d += time.Duration(f * float64(u))
		seen = true
	}
	if !seen {
		return 0, fmt.Errorf("xs:duration %q has no fields", orig)
	}
	if neg {
		d = -d
	}
	return d, nil
}

// formatDuration writes d as an xs:duration: PT<seconds>S with
// milliseconds when needed.
func formatDuration(d time.Duration) string {
	if d < 0 {
		d = 0
	}
	ms := d.Milliseconds()
	if ms%1000 == 0 {
		return "PT" + strconv.FormatInt(ms/1000, 10) + "S"
	}
	return fmt.Sprintf("PT%d.%03dS", ms/1000, ms%1000)
}
