package dnssec

import (
	"sync"

	"github.com/miekg/dns"
)

// denial is one signed compact denial.
type denial struct {
	nsec dns.RR
	sigs []dns.RR
}

// denialCache is a fixed-size cache with CLOCK eviction (second chance): its slots are allocated once,
// so a flood of distinct names can only replace entries, never grow the cache. A hit costs a map
// lookup and setting a bit, under one mutex.
type denialCache struct {
	mu    sync.Mutex
	index map[string]int
	slots []slot
	hand  int
}

type slot struct {
	key string
	val denial
	ref bool
}

func newDenialCache(size int) *denialCache {
	return &denialCache{index: make(map[string]int, size), slots: make([]slot, 0, size)}
}

// get takes the key as bytes: indexing the map with string(key) does not copy it.
func (c *denialCache) get(key []byte) (denial, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	i, ok := c.index[string(key)]
	if !ok {
		return denial{}, false
	}
	c.slots[i].ref = true
	return c.slots[i].val, true
}

func (c *denialCache) put(key string, val denial) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if i, ok := c.index[key]; ok {
		c.slots[i].val, c.slots[i].ref = val, true
		return
	}
	if len(c.slots) < cap(c.slots) {
		c.index[key] = len(c.slots)
		c.slots = append(c.slots, slot{key: key, val: val})
		return
	}
	if cap(c.slots) == 0 {
		return
	}
	i := c.victim()
	delete(c.index, c.slots[i].key)
	c.slots[i] = slot{key: key, val: val}
	c.index[key] = i
}

// victim advances the clock hand past recently used slots (clearing their bit) to one that was not.
func (c *denialCache) victim() int {
	for {
		i := c.hand
		c.hand = (c.hand + 1) % len(c.slots)
		if !c.slots[i].ref {
			return i
		}
		c.slots[i].ref = false
	}
}

// len is the number of cached denials.
func (c *denialCache) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.slots)
}
