-- Unpaid challenges are forgotten after 30 days (the template Worker's hourly Cron
-- Trigger; README, "Ledger"): each unpaid invoice is a row, and unpaid traffic would
-- otherwise grow the database for good. What is forgotten is still counted here, so
-- revenue per day and the metrics' totals stay exact.
CREATE TABLE forgotten_challenges (
  service TEXT NOT NULL,
  day TEXT NOT NULL,
  challenges INTEGER NOT NULL,
  PRIMARY KEY (service, day)
);
CREATE INDEX challenges_by_time ON challenges (created_at);
