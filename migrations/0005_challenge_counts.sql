-- Challenges are counted per service and UTC day as they are minted (README, "Ledger"):
-- revenue per day and the metrics read these counts, never the challenges themselves,
-- so unpaid traffic neither slows them down nor, once its rows are forgotten (after 30
-- days), goes missing from them. Replaces 0004's counts of forgotten challenges alone.
CREATE TABLE challenge_counts (
  service TEXT NOT NULL,
  day TEXT NOT NULL,
  challenges INTEGER NOT NULL,
  PRIMARY KEY (service, day)
);
INSERT INTO challenge_counts (service, day, challenges)
  SELECT service, day, SUM(challenges) FROM (
    SELECT service, date(created_at, 'unixepoch') AS day, COUNT(*) AS challenges FROM challenges GROUP BY 1, 2
    UNION ALL
    SELECT service, day, challenges FROM forgotten_challenges
  ) GROUP BY service, day;
DROP TABLE forgotten_challenges;
