package remote

import (
	"time"

	"github.com/kensa-mail/kensa/sandbox"
)

// job is what a click proxy enqueues. The whole sandbox.Request travels,
// so that a field added to it reaches the worker without a change here.
type job struct {
	ID       string          `json:"id"`
	Request  sandbox.Request `json:"request"`
	Reply    string          `json:"reply"`    // pub/sub channel to publish ID on
	Deadline time.Time       `json:"deadline"` // nobody waits after this
	Enqueued time.Time       `json:"enqueued"`
}

// reply is what a worker writes to the job's result key: a result, or
// the reason there is none (the click proxy then shows unknown).
type reply struct {
	Result   *sandbox.Result `json:"result,omitempty"`
	Error    string          `json:"error,omitempty"`
	Worker   string          `json:"worker"`
	Attempts int64           `json:"attempts"`
}
