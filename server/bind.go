package server

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strings"

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
	return nil
}
