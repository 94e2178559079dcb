package cimxml

import (
	"fmt"
	"io"
	"strings"
)

// MaxResponseObject bounds one object of a response (an item of
// IRETURNVALUE, an ERROR, an output parameter) as the client reads it; the
// response itself may be any size, read one object at a time.
const MaxResponseObject = 64 << 20

// streamReader reads a response body as it arrives: the envelope's tags
// one by one and each object whole, holding in memory only the object
// being read (and what came with it in the last read).
type streamReader struct {
	r    io.Reader
	p    *xmlParser
	eof  bool
	want int    // how much to read next
	buf  []byte // the read buffer, reused
}

func newStreamReader(r io.Reader) *streamReader {
	return &streamReader{r: r, p: newParser(""), want: 64 << 10}
}

// more reads the next piece of the body, keeping what is not consumed.
func (sr *streamReader) more() error {
	if sr.eof {
		return io.ErrUnexpectedEOF
	}
	rest := sr.p.S[sr.p.Pos:]
	if len(rest) > MaxResponseObject {
		return &syntaxError{fmt.Sprintf("an object of the response is larger than %d bytes", MaxResponseObject)}
	}
	if cap(sr.buf) < sr.want {
		sr.buf = make([]byte, sr.want)
	}
	n, err := io.ReadAtLeast(sr.r, sr.buf[:sr.want], 1)
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		sr.eof = true
		err = nil
	}
	if err != nil {
		return err
	}
	// One string of what is left and what came: the objects read from it
	// keep it (their strings are parts of it), not the read buffer. A
	// character cut by the end of a read is complete after the next: the
	// parser reads names, text and values only up to the ASCII byte that
	// ends them, and asks for more when the input ends first.
	var b strings.Builder
	b.Grow(len(rest) + n)
	b.WriteString(rest)
	b.Write(sr.buf[:n])
	sr.p.SetInput(b.String())
	if len(rest) > sr.want/2 {
		sr.want *= 2
	}
	return nil
}

// try runs f at the current position, reading more and running it again
// from the same position while the input ends inside what f reads.
func (sr *streamReader) try(f func() error) error {
	for {
		start := sr.p.Pos
		sr.p.Reset()
		err := f()
		if err != errIncomplete {
			return syntaxErr(err)
		}
		sr.p.Pos = start
		if err := sr.more(); err != nil {
			if err == io.ErrUnexpectedEOF {
				return &syntaxError{"the response ends early"}
			}
			return err
		}
	}
}

// skip passes white space, comments and processing instructions (and a
// prolog's declarations when prolog is set).
func (sr *streamReader) skip(prolog bool) error {
	return sr.try(func() error {
		if err := sr.p.Misc(prolog); err != nil {
			return err
		}
		rest := sr.p.S[sr.p.Pos:]
		if !sr.eof && (rest == "" || len(rest) < 9 && (strings.HasPrefix("<!--", rest) || strings.HasPrefix("<?", rest) || strings.HasPrefix("<!DOCTYPE", rest))) {
			return errIncomplete
		}
		return nil
	})
}

// peek reports the next tag after white space: its name and whether it is
// an end tag. At the end of the body the name is "".
func (sr *streamReader) peek() (name string, end bool, err error) {
	if err := sr.skip(false); err != nil {
		return "", false, err
	}
	err = sr.try(func() error {
		rest := sr.p.S[sr.p.Pos:]
		if rest == "" {
			if sr.eof {
				return nil
			}
			return errIncomplete
		}
		if rest[0] != '<' {
			return sr.p.Errorf(sr.p.Pos, "text where an element was expected")
		}
		i := 1
		if strings.HasPrefix(rest, "</") {
			end = true
			i = 2
		}
		j := i
		for j < len(rest) && isNameByte(rest[j], j == i) {
			j++
		}
		if j == len(rest) {
			return errIncomplete
		}
		name = rest[i:j]
		if name == "" {
			return sr.p.Errorf(sr.p.Pos, "expected an element, found %q", rest[:j+1])
		}
		return nil
	})
	return name, end, err
}

// open reads the start tag of an element called name and reports whether
// it was empty (<name/>).
func (sr *streamReader) open(name string) (*node, bool, error) {
	var n *node
	var empty bool
	if err := sr.skip(false); err != nil {
		return nil, false, err
	}
	err := sr.try(func() error {
		var err error
		n, empty, err = sr.p.StartTag()
		return err
	})
	if err != nil {
		return nil, false, err
	}
	if n.Name != name {
		return nil, false, &syntaxError{fmt.Sprintf("expected <%s>, found <%s>", name, n.Name)}
	}
	return n, empty, nil
}

// close reads the end tag of name.
func (sr *streamReader) close(name string) error {
	if err := sr.skip(false); err != nil {
		return err
	}
	return sr.try(func() error {
		rest := sr.p.S[sr.p.Pos:]
		if len(rest) < len(name)+3 {
			if strings.HasPrefix("</"+name+">", rest) && !sr.eof {
				return errIncomplete
			}
		}
		if !strings.HasPrefix(rest, "</"+name) {
			return &syntaxError{fmt.Sprintf("expected </%s>", name)}
		}
		sr.p.Pos += 2 + len(name)
		sr.p.SkipSpace()
		if sr.p.Pos >= len(sr.p.S) {
			return errIncomplete
		}
		if sr.p.S[sr.p.Pos] != '>' {
			return &syntaxError{fmt.Sprintf("expected > after </%s", name)}
		}
		sr.p.Pos++
		return nil
	})
}

// element reads the next element whole.
func (sr *streamReader) element() (*node, error) {
	if err := sr.skip(false); err != nil {
		return nil, err
	}
	var n *node
	err := sr.try(func() error {
		var err error
		n, err = sr.p.Element()
		return err
	})
	return n, err
}

// frame reads the next element as text, whole, without reading it into a
// tree.
func (sr *streamReader) frame() (string, error) {
	if err := sr.skip(false); err != nil {
		return "", err
	}
	var raw string
	err := sr.try(func() error {
		start := sr.p.Pos
		if err := sr.p.SkipElement(); err != nil {
			return err
		}
		raw = sr.p.S[start:sr.p.Pos]
		return nil
	})
	return raw, err
}
