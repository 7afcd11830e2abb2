package wire

// Errors the API refuses with, one per Code: a client's *Error matches the
// one of its code with errors.Is, so a script tests
// errors.Is(err, wire.ErrVersionConflict) rather than the message, which is
// for people and may change.
var (
	ErrUnauthorized     = &CodeError{CodeUnauthorized}
	ErrForbidden        = &CodeError{CodeForbidden}
	ErrNotFound         = &CodeError{CodeNotFound}
	ErrUnknownService   = &CodeError{CodeUnknownService}
	ErrUnknownEndpoint  = &CodeError{CodeUnknownEndpoint}
	ErrNoOverride       = &CodeError{CodeNoOverride}
	ErrMethodNotAllowed = &CodeError{CodeMethodNotAllowed}
	ErrBadRequest       = &CodeError{CodeBadRequest}
	ErrVersionConflict  = &CodeError{CodeVersionConflict}
	ErrInvalidConfig    = &CodeError{CodeInvalidConfig}
	ErrNotYet           = &CodeError{CodeNotYet}
	ErrUnavailable      = &CodeError{CodeUnavailable}
)

// CodeError is the sentinel error of one Code (the Err variables above).
type CodeError struct{ Code string }

func (e *CodeError) Error() string { return "api: " + e.Code }

// Is makes an *Error match the sentinel of its Code.
func (e *Error) Is(target error) bool {
	c, ok := target.(*CodeError)
	return ok && e.Code != "" && c.Code == e.Code
}
