-- State stores owned by the streaming runtime (streams/runtime/state-store.ts): each task's
-- key-value stores, saved with every flush after the rows derived from them and before the
-- commit, with the input offsets the snapshot covers (the row of store '__covered'). A restart
-- restores the latest row of each key and skips, per record, what the snapshot already applied.
-- One insert per flush and task holds every changed key and the covered offsets, so a snapshot
-- lands whole or not at all. version is the task's snapshot sequence, restored with it.
-- No insert deduplication window: a replay after a crash may carry the same offset ranges with
-- another snapshot, which must land. No TTL: a store evicts its own keys (a deleted row).

CREATE TABLE IF NOT EXISTS ${database}.processor_state
(
    consumer_group  LowCardinality(String) COMMENT 'Consumer group whose tasks own the store (shelfstream.velocity...): a new group, as a rebuild uses, starts empty',
    input_partition UInt32 COMMENT 'Input partition of the task that owns the store',
    store           LowCardinality(String) COMMENT 'Store name within the task; __covered holds the input offsets the snapshot covers',
    key             String COMMENT 'Key within the store',
    value           String COMMENT 'The value as JSON',
    deleted         Bool COMMENT 'True when the key was removed (evicted): restored as absent',
    version         UInt64 COMMENT 'Snapshot sequence of the task: the newest wins'
)
ENGINE = ReplacingMergeTree(version)
ORDER BY (consumer_group, input_partition, store, key)
COMMENT 'Snapshots of the state stores of stream processors, with the input offsets they cover';
