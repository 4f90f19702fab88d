package access

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/mail"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
	"golang.org/x/crypto/argon2"
)

// Redis keys (docs/redis.md).
const (
	KeyUser     = "kensa:v1:user:"    // + email: string, JSON User (with the password hash); no TTL
	KeyUsers    = "kensa:v1:users"    // set of emails; no TTL
	KeyToken    = "kensa:v1:token:"   // + hex SHA-256 of the secret: string, JSON Token; no TTL (or the token's expiry)
	KeyTokens   = "kensa:v1:tokens"   // hash: token ID -> hex SHA-256 of its secret; no TTL
	KeySession  = "kensa:v1:session:" // + hex SHA-256 of the session ID: string, JSON Session; TTL the session's lifetime
	tokenPrefix = "kensa_"            // every API token starts with it, so secret scanners can find leaked ones
)

// Errors of the Store, wrapped by callers with %w.
var (
	ErrExists     = errors.New("access: already exists")
	ErrNotFound   = errors.New("access: not found")
	ErrBadLogin   = errors.New("access: wrong email or password")
	ErrBadToken   = errors.New("access: unknown or revoked token")
	ErrNoSession  = errors.New("access: no such session, or expired")
	ErrWeak       = errors.New("access: password shorter than 12 characters")
	ErrBadRole    = errors.New("access: unknown role")
	ErrBadScope   = errors.New("access: unknown scope")
	ErrBadEmail   = errors.New("access: not an email address")
	ErrNeedsName  = errors.New("access: a token needs a name")
	ErrRoleXScope = errors.New("access: a token has a role or a scope, not both and not neither")
	ErrPastExpiry = errors.New("access: the token's expiry is in the past")
)

// MinPassword is the shortest password accepted.
const MinPassword = 12

// User is a console user as stored.
type User struct {
	Email    string    `json:"email"`
	Role     string    `json:"role"`
	Hash     string    `json:"hash"` // PHC string: $argon2id$v=19$m=...,t=...,p=...$salt$key
	Created  time.Time `json:"created"`
	Disabled bool      `json:"disabled,omitempty"`
}

// Token is an API token as stored: never the secret.
type Token struct {
	ID        string    `json:"id"` // 16 hex digits, to list and revoke it
	Name      string    `json:"name"`
	Role      string    `json:"role,omitempty"`
	Scope     string    `json:"scope,omitempty"`
	Created   time.Time `json:"created"`
	CreatedBy string    `json:"created_by,omitempty"`
	Expires   time.Time `json:"expires,omitzero"` // zero: never
}

// Session is a console sign-in as stored; its ID is only in the cookie.
type Session struct {
	Email   string    `json:"email"`
	CSRF    string    `json:"csrf"`
	Created time.Time `json:"created"`
	Expires time.Time `json:"expires"`
}

// Argon2Params are argon2id's costs. DefaultArgon2 is OWASP's
// recommendation (19 MiB, 2 passes, 1 lane).
type Argon2Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultArgon2 is the cost used for new passwords.
var DefaultArgon2 = Argon2Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// Store keeps users, tokens and sessions in Redis. Safe for concurrent use.
type Store struct {
	rdb    redis.UniversalClient
	now    func() time.Time
	params Argon2Params
	dummy  string // a hash to check against for an unknown email, so timing does not tell
}

// NewStore returns a store on rdb; now is the clock (nil: time.Now).
func NewStore(rdb redis.UniversalClient, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	s := &Store{rdb: rdb, now: now, params: DefaultArgon2}
	s.dummy = s.hash(RandomSecret(16))
	return s
}

// RandomSecret is n random bytes, base64url without padding.
func RandomSecret(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func digest(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

// NormalizeEmail lower-cases and checks an email address.
func NormalizeEmail(s string) (string, error) {
	s = strings.ToLower(strings.TrimSpace(s))
	a, err := mail.ParseAddress(s)
	if err != nil || a.Address != s || !strings.Contains(s, "@") {
		return "", fmt.Errorf("%w: %q", ErrBadEmail, s)
	}
	return s, nil
}

func (s *Store) hash(password string) string {
	salt := make([]byte, 16)
	rand.Read(salt)
	p := s.params
	key := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, 32)
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		base64.RawStdEncoding.EncodeToString(salt), base64.RawStdEncoding.EncodeToString(key))
}

// Bounds of the argon2id costs a stored hash may ask for, so that a
// corrupted record cannot make one sign-in take gigabytes.
const (
	maxArgon2Memory = 256 * 1024 // KiB
	maxArgon2Time   = 10
)

// parsePHC reads a PHC argon2id string:
// $argon2id$v=19$m=M,t=T,p=P$SALT$KEY (unpadded standard base64).
func parsePHC(phc string) (p Argon2Params, salt, key []byte, ok bool) {
	f := strings.Split(phc, "$")
	if len(f) != 6 || f[0] != "" || f[1] != "argon2id" || f[2] != fmt.Sprintf("v=%d", argon2.Version) {
		return p, nil, nil, false
	}
	var m, t, th uint64
	if n, err := fmt.Sscanf(f[3], "m=%d,t=%d,p=%d", &m, &t, &th); err != nil || n != 3 ||
		fmt.Sprintf("m=%d,t=%d,p=%d", m, t, th) != f[3] {
		return p, nil, nil, false
	}
	if m < 8*th || m > maxArgon2Memory || t < 1 || t > maxArgon2Time || th < 1 || th > 255 {
		return p, nil, nil, false
	}
	salt, err1 := base64.RawStdEncoding.Strict().DecodeString(f[4])
	key, err2 := base64.RawStdEncoding.Strict().DecodeString(f[5])
	if err1 != nil || err2 != nil || len(salt) < 8 || len(key) < 16 || len(key) > 64 {
		return p, nil, nil, false
	}
	return Argon2Params{Memory: uint32(m), Time: uint32(t), Threads: uint8(th)}, salt, key, true
}

// verify checks password against a PHC argon2id string, in constant time.
func verify(phc, password string) bool {
	p, salt, want, ok := parsePHC(phc)
	if !ok {
		return false
	}
	got := argon2.IDKey([]byte(password), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	return subtle.ConstantTimeCompare(got, want) == 1
}

// CreateUser adds a user; ErrExists if the email is taken.
func (s *Store) CreateUser(ctx context.Context, email, role, password string) (User, error) {
	email, err := NormalizeEmail(email)
	if err != nil {
		return User{}, err
	}
	if !ValidRole(role) {
		return User{}, fmt.Errorf("%w %q", ErrBadRole, role)
	}
	if len([]rune(password)) < MinPassword {
		return User{}, ErrWeak
	}
	u := User{Email: email, Role: role, Hash: s.hash(password), Created: s.now().UTC()}
	b, _ := json.Marshal(u)
	ok, err := s.rdb.SetNX(ctx, KeyUser+email, b, 0).Result()
	if err != nil {
		return User{}, err
	}
	if !ok {
		return User{}, fmt.Errorf("%w: user %s", ErrExists, email)
	}
	if err := s.rdb.SAdd(ctx, KeyUsers, email).Err(); err != nil {
		return User{}, err
	}
	return u, nil
}

// User returns one user.
func (s *Store) User(ctx context.Context, email string) (User, error) {
	b, err := s.rdb.Get(ctx, KeyUser+strings.ToLower(strings.TrimSpace(email))).Bytes()
	if errors.Is(err, redis.Nil) {
		return User{}, fmt.Errorf("%w: user %s", ErrNotFound, email)
	}
	if err != nil {
		return User{}, err
	}
	var u User
	if err := json.Unmarshal(b, &u); err != nil {
		return User{}, fmt.Errorf("access: user %s unreadable: %w", email, err)
	}
	return u, nil
}

// Users lists every user, by email.
func (s *Store) Users(ctx context.Context) ([]User, error) {
	emails, err := s.rdb.SMembers(ctx, KeyUsers).Result()
	if err != nil {
		return nil, err
	}
	slices.Sort(emails)
	var out []User
	for _, e := range emails {
		u, err := s.User(ctx, e)
		if errors.Is(err, ErrNotFound) {
			continue
		}
		if err != nil {
			return nil, err
		}
		u.Hash = ""
		out = append(out, u)
	}
	return out, nil
}

// UpdateUser changes a user's role (if role is not empty), password (if
// not empty) and disabled flag. Sessions of the user see the change at
// their next request.
func (s *Store) UpdateUser(ctx context.Context, email, role, password string, disabled bool) (User, error) {
	u, err := s.User(ctx, email)
	if err != nil {
		return User{}, err
	}
	if role != "" {
		if !ValidRole(role) {
			return User{}, fmt.Errorf("%w %q", ErrBadRole, role)
		}
		u.Role = role
	}
	if password != "" {
		if len([]rune(password)) < MinPassword {
			return User{}, ErrWeak
		}
		u.Hash = s.hash(password)
	}
	u.Disabled = disabled
	b, _ := json.Marshal(u)
	if err := s.rdb.Set(ctx, KeyUser+u.Email, b, redis.KeepTTL).Err(); err != nil {
		return User{}, err
	}
	return u, nil
}

// DeleteUser removes a user; their sessions end at their next request.
func (s *Store) DeleteUser(ctx context.Context, email string) error {
	email = strings.ToLower(strings.TrimSpace(email))
	n, err := s.rdb.Del(ctx, KeyUser+email).Result()
	if err != nil {
		return err
	}
	s.rdb.SRem(ctx, KeyUsers, email)
	if n == 0 {
		return fmt.Errorf("%w: user %s", ErrNotFound, email)
	}
	return nil
}

// CheckPassword returns the user if the password is right and the user
// is not disabled; ErrBadLogin otherwise, taking the same time for an
// unknown email.
func (s *Store) CheckPassword(ctx context.Context, email, password string) (User, error) {
	u, err := s.User(ctx, email)
	if err != nil && !errors.Is(err, ErrNotFound) {
		return User{}, err
	}
	hash := u.Hash
	if err != nil {
		hash = s.dummy
	}
	if !verify(hash, password) || err != nil || u.Disabled {
		return User{}, ErrBadLogin
	}
	return u, nil
}

// CreateToken makes a new API token: the secret, returned once and never
// stored, and the stored Token. t.Name and exactly one of t.Role and
// t.Scope are required; t.Expires is optional.
func (s *Store) CreateToken(ctx context.Context, t Token) (string, Token, error) {
	var errs []error
	if strings.TrimSpace(t.Name) == "" || len(t.Name) > 100 {
		errs = append(errs, ErrNeedsName)
	}
	switch {
	case (t.Role == "") == (t.Scope == ""):
		errs = append(errs, ErrRoleXScope)
	case t.Role != "" && !ValidRole(t.Role):
		errs = append(errs, fmt.Errorf("%w %q", ErrBadRole, t.Role))
	case t.Scope != "" && !ValidScope(t.Scope):
		errs = append(errs, fmt.Errorf("%w %q", ErrBadScope, t.Scope))
	}
	if err := errors.Join(errs...); err != nil {
		return "", Token{}, err
	}
	id := make([]byte, 8)
	rand.Read(id)
	t.ID = hex.EncodeToString(id)
	t.Name = strings.TrimSpace(t.Name)
	t.Created = s.now().UTC()
	secret := tokenPrefix + RandomSecret(32)
	d := digest(secret)
	b, _ := json.Marshal(t)
	var ttl time.Duration
	if !t.Expires.IsZero() {
		ttl = t.Expires.Sub(s.now())
		if ttl <= 0 {
			return "", Token{}, ErrPastExpiry
		}
	}
	_, err := s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Set(ctx, KeyToken+d, b, ttl)
		p.HSet(ctx, KeyTokens, t.ID, d)
		return nil
	})
	if err != nil {
		return "", Token{}, err
	}
	return secret, t, nil
}

// Tokens lists the tokens that have not been revoked or expired.
func (s *Store) Tokens(ctx context.Context) ([]Token, error) {
	ids, err := s.rdb.HGetAll(ctx, KeyTokens).Result()
	if err != nil {
		return nil, err
	}
	var out []Token
	for id, d := range ids {
		b, err := s.rdb.Get(ctx, KeyToken+d).Bytes()
		if errors.Is(err, redis.Nil) {
			s.rdb.HDel(ctx, KeyTokens, id) // expired
			continue
		}
		if err != nil {
			return nil, err
		}
		var t Token
		if json.Unmarshal(b, &t) == nil {
			out = append(out, t)
		}
	}
	slices.SortFunc(out, func(a, b Token) int { return a.Created.Compare(b.Created) })
	return out, nil
}

// RevokeToken deletes a token by ID; it stops working at once.
func (s *Store) RevokeToken(ctx context.Context, id string) (Token, error) {
	d, err := s.rdb.HGet(ctx, KeyTokens, id).Result()
	if errors.Is(err, redis.Nil) {
		return Token{}, fmt.Errorf("%w: token %s", ErrNotFound, id)
	}
	if err != nil {
		return Token{}, err
	}
	var t Token
	if b, err := s.rdb.Get(ctx, KeyToken+d).Bytes(); err == nil {
		json.Unmarshal(b, &t)
	}
	t.ID = id
	_, err = s.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		p.Del(ctx, KeyToken+d)
		p.HDel(ctx, KeyTokens, id)
		return nil
	})
	return t, err
}

// TokenPrincipal is the principal of a bearer token. Only secrets with
// Kensa's prefix are looked up.
func (s *Store) TokenPrincipal(ctx context.Context, secret string) (Principal, error) {
	if !strings.HasPrefix(secret, tokenPrefix) || len(secret) > 100 {
		return Principal{}, ErrBadToken
	}
	b, err := s.rdb.Get(ctx, KeyToken+digest(secret)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Principal{}, ErrBadToken
	}
	if err != nil {
		return Principal{}, err
	}
	var t Token
	if err := json.Unmarshal(b, &t); err != nil {
		return Principal{}, ErrBadToken
	}
	if !t.Expires.IsZero() && !s.now().Before(t.Expires) {
		return Principal{}, ErrBadToken
	}
	return Principal{Kind: KindToken, Name: t.Name, ID: t.ID, Role: t.Role, Scope: t.Scope}, nil
}

// NewSession starts a session for a user, for ttl. The ID goes in the
// cookie; Redis holds only its SHA-256.
func (s *Store) NewSession(ctx context.Context, email string, ttl time.Duration) (string, Session, error) {
	id := RandomSecret(32)
	now := s.now().UTC()
	ss := Session{Email: email, CSRF: RandomSecret(32), Created: now, Expires: now.Add(ttl)}
	b, _ := json.Marshal(ss)
	if err := s.rdb.Set(ctx, KeySession+digest(id), b, ttl).Err(); err != nil {
		return "", Session{}, err
	}
	return id, ss, nil
}

// SessionPrincipal is the principal of a session cookie: the user as they
// are now (role, disabled), or ErrNoSession.
func (s *Store) SessionPrincipal(ctx context.Context, id string) (Principal, error) {
	if id == "" || len(id) > 100 {
		return Principal{}, ErrNoSession
	}
	b, err := s.rdb.Get(ctx, KeySession+digest(id)).Bytes()
	if errors.Is(err, redis.Nil) {
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	var ss Session
	if err := json.Unmarshal(b, &ss); err != nil || !s.now().Before(ss.Expires) {
		return Principal{}, ErrNoSession
	}
	u, err := s.User(ctx, ss.Email)
	if errors.Is(err, ErrNotFound) || err == nil && u.Disabled {
		s.rdb.Del(ctx, KeySession+digest(id))
		return Principal{}, ErrNoSession
	}
	if err != nil {
		return Principal{}, err
	}
	return Principal{Kind: KindUser, Name: u.Email, ID: id, Role: u.Role, CSRF: ss.CSRF}, nil
}

// EndSession deletes a session (sign-out).
func (s *Store) EndSession(ctx context.Context, id string) error {
	return s.rdb.Del(ctx, KeySession+digest(id)).Err()
}
