package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"unicode"

	"github.com/labstack/echo/v4"

	"github.com/casecircle/casecircle/casestudy"
)

// bindJSON decodes the request body into dst strictly: JSON only, no unknown fields, one value,
// within the body limit. Errors name the field where they can; they never echo field contents.
func bindJSON(c echo.Context, dst any) error {
	req := c.Request()
	if ct, _, _ := mime.ParseMediaType(req.Header.Get("Content-Type")); ct != "application/json" {
		return casestudy.Errorf(casestudy.EINVALID, "Send a JSON body with Content-Type: application/json.")
	}
	body, err := io.ReadAll(req.Body)
	var maxErr *http.MaxBytesError
	var httpErr *echo.HTTPError
	if errors.As(err, &maxErr) || (errors.As(err, &httpErr) && httpErr.Code == http.StatusRequestEntityTooLarge) {
		return casestudy.Errorf(casestudy.ETOOLARGE, "The request body is too large.")
	}
	if err != nil {
		return casestudy.Errorf(casestudy.EINVALID, "The request body could not be read.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		var typeErr *json.UnmarshalTypeError
		var syntaxErr *json.SyntaxError
		switch {
		case errors.As(err, &typeErr):
			return &casestudy.Error{Code: casestudy.EVALIDATION, Message: "This field has the wrong type; expected " + typeErr.Type.String() + ".", Field: typeErr.Field}
		case strings.HasPrefix(err.Error(), "json: unknown field "):
			field := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
			return &casestudy.Error{Code: casestudy.EINVALID, Message: "Unknown field.", Field: field}
		case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
			return casestudy.Errorf(casestudy.EINVALID, "The request body is not valid JSON.")
		default:
			return casestudy.Errorf(casestudy.EINVALID, "The request body is not valid JSON.")
		}
	}
	if dec.More() {
		return casestudy.Errorf(casestudy.EINVALID, "Send exactly one JSON object.")
	}
	// No text with control characters (NUL, escape sequences…) reaches the domain or the database,
	// in any field: PostgreSQL refuses NUL and would log the statement's context.
	if field, bad := controlCharField(body); bad {
		return casestudy.FieldErrorf(field, "Use letters, digits, spaces, punctuation and line breaks only.")
	}
	return nil
}

// controlCharField walks a JSON document and returns the path ("case.title", "phases[1].name")
// of the first string, key or value, holding a control character other than a line break or tab.
func controlCharField(body []byte) (string, bool) {
	if !bytes.Contains(body, []byte(`\u`)) && !bytes.ContainsFunc(body, isControlChar) {
		return "", false // the common case: no escapes, nothing to find
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	type level struct {
		object bool
		key    string
		index  int
		inKey  bool // the next string of an object is a key
	}
	var stack []level
	path := func() string {
		var b strings.Builder
		for _, l := range stack {
			switch {
			case l.object && l.key != "":
				if b.Len() > 0 {
					b.WriteByte('.')
				}
				b.WriteString(l.key)
			case !l.object:
				b.WriteString("[" + strconv.Itoa(l.index) + "]")
			}
		}
		return b.String()
	}
	afterValue := func() {
		if n := len(stack); n > 0 {
			if stack[n-1].object {
				stack[n-1].inKey = true
			} else {
				stack[n-1].index++
			}
		}
	}
	for {
		tok, err := dec.Token()
		if err != nil {
			return "", false
		}
		switch v := tok.(type) {
		case json.Delim:
			switch v {
			case '{':
				stack = append(stack, level{object: true, inKey: true})
			case '[':
				stack = append(stack, level{})
			default:
				stack = stack[:len(stack)-1]
				afterValue()
			}
		case string:
			bad := strings.ContainsFunc(v, isControlRune)
			if n := len(stack); n > 0 && stack[n-1].object && stack[n-1].inKey {
				stack[n-1].key, stack[n-1].inKey = v, false
				if bad {
					return path(), true
				}
				continue
			}
			if bad {
				return path(), true
			}
			afterValue()
		default:
			afterValue()
		}
	}
}

func isControlRune(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }

func isControlChar(r rune) bool { return r < 0x20 && r != '\n' && r != '\t' && r != '\r' }
