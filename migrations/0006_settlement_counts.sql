-- Settlements are counted per service and UTC day as they are recorded, as challenges
-- are (0005): revenue per day and the metrics (scraped every few seconds, from the first
-- day) read these counts, never every settlement ever written. The count is kept by a
-- trigger, so whichever Worker records the settlement counts it once (INSERT OR IGNORE
-- of one already recorded inserts nothing, and fires nothing).
CREATE TABLE settlement_counts (
  service TEXT NOT NULL,
  day TEXT NOT NULL,
  settlements INTEGER NOT NULL,
  revenue_msat INTEGER NOT NULL,
  PRIMARY KEY (service, day)
);
INSERT INTO settlement_counts (service, day, settlements, revenue_msat)
  SELECT service, date(first_used_at, 'unixepoch'), COUNT(*), SUM(amount_msat) FROM settlements GROUP BY 1, 2;
CREATE TRIGGER count_settlement AFTER INSERT ON settlements BEGIN
  INSERT INTO settlement_counts (service, day, settlements, revenue_msat) VALUES (NEW.service, date(NEW.first_used_at, 'unixepoch'), 1, NEW.amount_msat)
    ON CONFLICT (service, day) DO UPDATE SET settlements = settlements + 1, revenue_msat = revenue_msat + excluded.revenue_msat;
END;
-- The dashboard lists the latest settlements and the day's largest: by time, not by a scan of them all.
CREATE INDEX settlements_by_time ON settlements (first_used_at);
