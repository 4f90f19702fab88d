package remote

import "time"

// Every Redis key and channel of the queue, in one place; docs/redis.md
// describes them for operators. The queue's own keys share the hash tag
// {render}, so that the stream and the worker registry live in one slot of
// a Redis Cluster; a job's keys are tagged by its ID, so jobs spread over
// the shards.
const (
	// KeyStream is the stream of jobs (field "job": JSON job).
	KeyStream = "kensa:v1:{render}:jobs"
	// Group is the workers' consumer group on KeyStream.
	Group = "workers"
	// KeyWorkers is a sorted set: worker name -> the Unix time in ms it
	// last said it was alive.
	KeyWorkers = "kensa:v1:{render}:workers"
	// KeyRenders counts the renders every worker started (INCR), for the
	// operator and the scale test.
	KeyRenders = "kensa:v1:{render}:renders"
	// chanReplyPrefix + client ID: the pub/sub channel a client's jobs'
	// IDs are published on when their results land.
	chanReplyPrefix = "kensa:v1:{render}:reply:"
)

// keyResult holds a job's reply (JSON) for resultTTL.
func keyResult(id string) string { return "kensa:v1:job:{" + id + "}:result" }

// keyAttempts counts the times a job was started.
func keyAttempts(id string) string { return "kensa:v1:job:{" + id + "}:attempts" }

// Lifetimes and bounds.
const (
	// resultTTL: a result is read (and deleted) by its waiter within a
	// second or so; one nobody reads goes after this.
	resultTTL = 2 * time.Minute
	// attemptsTTL outlives any job's deadline.
	attemptsTTL = time.Hour
	// streamMaxLen bounds the stream (XADD MAXLEN ~). Workers delete a job
	// once answered, so it only fills up when no worker runs.
	streamMaxLen = 100_000
	// aliveTTL: a worker not heard of for this long is not counted by
	// Client.Ready.
	aliveTTL = 15 * time.Second
)
