-- Room on each page of deliveries for its rows' claimed versions (PostgreSQL). A claim changes
-- only `locked_until` and `attempts`, which no index covers, so PostgreSQL can write the claimed
-- version beside the old one without touching the table's four indexes (a HOT update), but only
-- if the page has room for it. A claim takes a run of rows in id order, all of a page's rows
-- at once; at the default fill (100%) none had room, and each claim wrote an entry in every
-- index and left a dead one behind for the next claim to step over. Half-full pages have room
-- for every row's claimed version. Pages written from now on are filled to half; the table is
-- not rewritten.
ALTER TABLE deliveries SET (fillfactor = 50);
