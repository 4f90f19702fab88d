package linktoken

import "errors"

// Errors returned by Open, OpenRequest and Inspect, always wrapped with
// details. Use errors.Is or Code to tell them apart.
var (
	// ErrMalformed: the link does not have the shape of a version 1 Kensa
	// link (path, query, token length, escapes, compressed data, reserved
	// flags, sealed context items).
	ErrMalformed = errors.New("linktoken: malformed link")

	// ErrVersion: the token has a version this package does not know.
	ErrVersion = errors.New("linktoken: unsupported version")

	// ErrUnknownKey: the key ID is not in the keyring, typically because the
	// key was retired.
	ErrUnknownKey = errors.New("linktoken: unknown key")

	// ErrBadSignature: the tag does not match; the link was altered.
	ErrBadSignature = errors.New("linktoken: bad signature")

	// ErrBadDestination: the destination is not an absolute http or https
	// URL with a host. Link returns it for destinations it refuses to wrap.
	ErrBadDestination = errors.New("linktoken: bad destination")
)

// ErrKeyFile is wrapped by every problem ParseKeyring, NewKeyring and AddKey
// report about a key file.
var ErrKeyFile = errors.New("linktoken: invalid key file")

// Code returns the error code of docs/link-format.md for err: "malformed",
// "version", "unknown-key", "bad-signature" or "bad-destination", and "" for
// nil and for other errors.
func Code(err error) string {
	switch {
	case err == nil:
		return ""
	case errors.Is(err, ErrMalformed):
		return "malformed"
	case errors.Is(err, ErrVersion):
		return "version"
	case errors.Is(err, ErrUnknownKey):
		return "unknown-key"
	case errors.Is(err, ErrBadSignature):
		return "bad-signature"
	case errors.Is(err, ErrBadDestination):
		return "bad-destination"
	}
	return ""
}
