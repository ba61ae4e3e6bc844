-- The delivery queue, shaped for claiming (PostgreSQL).
--
-- Room on each page of deliveries for its rows' claimed versions. A claim changes only
-- `locked_until` and `attempts`, which no index covers, so PostgreSQL can write the claimed
-- version beside the old one without touching the table's indexes (a HOT update), but only if
-- the page has room for it. A claim takes a run of rows in id order, all of a page's rows at
-- once; at the default fill (100%) none had room, and each claim wrote an entry in every index
-- and left a dead one behind for the next claim to step over. Half-full pages have room for
-- every row's claimed version. Pages written from now on are filled to half; the table is not
-- rewritten.
ALTER TABLE deliveries SET (fillfactor = 50);

-- Each channel's due rows in an index of its own, on numbers only: the fan-out writes an entry
-- in it for every delivery, and an entry led by the channel's name cost a comparison of text at
-- every step down the tree (the claim names its channel in its text, so its plan can use them).
DROP INDEX deliveries_due;
CREATE INDEX deliveries_due_email ON deliveries (priority, id) WHERE state = 'pending' AND channel = 'email';
CREATE INDEX deliveries_due_sms ON deliveries (priority, id) WHERE state = 'pending' AND channel = 'sms';
