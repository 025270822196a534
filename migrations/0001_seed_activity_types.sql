-- The activity type catalogue the seeds name; categories drive the summary totals.
INSERT INTO `activity_types` (`id`, `label`, `category`) VALUES
  ('session_completed', 'Session completed', 'session'),
  ('referral_made', 'Referral made', 'referral'),
  ('check_in', 'Check-in', 'check_in'),
  ('documentation', 'Documentation', 'documentation'),
  ('training_attended', 'Training attended', 'training'),
  ('one-on-one', 'One-on-one session', 'session'),
  ('workshop', 'Workshop', 'workshop');
