//! The player: where the animation's playhead is, and how it moves.
//!
//! Mirrors: a media player over the [`Timeline`](crate::present::timeline::Timeline), in the
//! shape of yew's `game_of_life` example (an owned model, an action, one reducer); RaftScope's
//! rule that acting while the playhead is in the past jumps to now first.
//! Pure: the page owns a timer that sends [`PlayerAction::Elapsed`] when the beat in play has
//! been shown for its time; nothing here reads a clock.
//!
//! `played` counts the beats already shown: 0 is the session's start (the scene before the first
//! command), `len` is live. The beat in play is `played - 1`: its message is in flight and the
//! scene shows the store as of its revision.

use crate::present::timeline::{Step, Timeline};

/// Speeds the player offers, as multiples of 1× (the pace at which one message can be followed).
pub const SPEEDS: [f64; 6] = [0.25, 0.5, 1.0, 2.0, 4.0, 8.0];
const SPEED_1X: usize = 2;

#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Player {
    /// How many beats have been shown (0..=timeline length).
    pub played: usize,
    /// Moving forward on its own, one beat per beat-time.
    pub playing: bool,
    /// Index into [`SPEEDS`].
    pub speed: usize,
    /// Off: the playhead jumps straight to live after every command (a teacher's choice).
    pub animate: bool,
}

impl Default for Player {
    fn default() -> Self {
        Player {
            played: 0,
            playing: false,
            speed: SPEED_1X,
            animate: true,
        }
    }
}

/// What can move the playhead.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PlayerAction {
    Play,
    Pause,
    /// Space.
    TogglePlay,
    /// → : one beat forward.
    Forward,
    /// ← : one beat back.
    Back,
    /// To the first beat of the next step.
    NextStep,
    /// To the first beat of this step (or of the step before, when already there).
    PreviousStep,
    /// Home: the session's start.
    Start,
    /// End / the Live button: now.
    Live,
    /// The slider was set to this many beats played.
    Seek(usize),
    Faster,
    Slower,
    /// Set the speed by index into [`SPEEDS`].
    Speed(usize),
    SetAnimate(bool),
    /// The beat in play has been shown for its time.
    Elapsed,
    /// The student ran a command; its beats start at `first`.
    CommandRan {
        first: usize,
    },
}

impl Player {
    pub fn speed_factor(&self) -> f64 {
        SPEEDS[self.speed.min(SPEEDS.len() - 1)]
    }

    pub fn is_live(&self, timeline: &Timeline) -> bool {
        self.played >= timeline.len()
    }

    /// The index of the beat in play, if any has played.
    pub fn current(&self) -> Option<usize> {
        self.played.checked_sub(1)
    }

    /// The step of the beat in play, or of the last beat before it that had one; none once the
    /// command has settled.
    pub fn step(&self, timeline: &Timeline) -> Option<Step> {
        let current = self.current()?;
        let beat = timeline.beats.get(current)?;
        if beat.kind == crate::present::timeline::BeatKind::Settled {
            return None;
        }
        let command = beat.command;
        timeline
            .beats
            .range(0, current + 1)
            .iter()
            .rev()
            .take_while(|b| b.command == command)
            .find_map(|b| b.step)
    }

    /// How long the page shows the beat in play before [`PlayerAction::Elapsed`], at this speed.
    pub fn beat_ms(&self, timeline: &Timeline) -> Option<u32> {
        let beat = timeline.beats.get(self.current()?)?;
        Some(
            (f64::from(beat.display_ms()) / self.speed_factor())
                .round()
                .max(16.0) as u32,
        )
    }

    /// Applies one action. The playhead never goes back past what the timeline still keeps.
    pub fn apply(&mut self, action: PlayerAction, timeline: &Timeline) {
        self.apply_unbounded(action, timeline);
        self.played = self.played.max(timeline.first_kept);
    }

    fn apply_unbounded(&mut self, action: PlayerAction, timeline: &Timeline) {
        let len = timeline.len();
        match action {
            PlayerAction::Play => {
                if self.played >= len {
                    // Play at live replays the last command from its start.
                    if let Some(span) = timeline.commands.last() {
                        self.played = span.first + 1;
                    }
                }
                self.playing = true;
            }
            PlayerAction::Pause => self.playing = false,
            PlayerAction::TogglePlay => {
                let action = if self.playing && self.played < len {
                    PlayerAction::Pause
                } else {
                    PlayerAction::Play
                };
                self.apply_unbounded(action, timeline);
            }
            PlayerAction::Forward => {
                self.playing = false;
                self.played = (self.played + 1).min(len);
            }
            PlayerAction::Back => {
                self.playing = false;
                self.played = self.played.saturating_sub(1);
            }
            PlayerAction::NextStep => {
                self.playing = false;
                self.played = next_step_start(timeline, self.played);
            }
            PlayerAction::PreviousStep => {
                self.playing = false;
                self.played = previous_step_start(timeline, self.played);
            }
            PlayerAction::Start => {
                self.playing = false;
                self.played = 0;
            }
            PlayerAction::Live => {
                self.playing = false;
                self.played = len;
            }
            PlayerAction::Seek(played) => {
                self.playing = false;
                self.played = played.min(len);
            }
            PlayerAction::Faster => self.speed = (self.speed + 1).min(SPEEDS.len() - 1),
            PlayerAction::Slower => self.speed = self.speed.saturating_sub(1),
            PlayerAction::Speed(index) => self.speed = index.min(SPEEDS.len() - 1),
            PlayerAction::SetAnimate(on) => {
                self.animate = on;
                if !on {
                    self.playing = false;
                    self.played = len;
                }
            }
            PlayerAction::Elapsed => {
                if self.playing && self.played < len {
                    self.played += 1;
                }
                if self.played >= len {
                    self.playing = false;
                }
            }
            PlayerAction::CommandRan { first } => {
                if self.animate {
                    // From the past, a new command starts at now: the playhead goes to the start
                    // of the new beats and plays them.
                    self.played = (first + 1).min(len);
                    self.playing = self.played < len;
                } else {
                    self.played = len;
                    self.playing = false;
                }
            }
        }
    }
}

/// The `played` value that puts the first beat of the next step in play.
fn next_step_start(timeline: &Timeline, played: usize) -> usize {
    let beats = &timeline.beats;
    let current_step = played
        .checked_sub(1)
        .and_then(|i| beats.get(i))
        .and_then(|b| b.step);
    for (i, beat) in beats.iter().enumerate().skip(played) {
        if beat.step.is_some() && beat.step != current_step {
            return i + 1;
        }
    }
    beats.len()
}

/// The `played` value that puts the first beat of the current step in play, or of the step
/// before when the current one's first beat is already in play. A step's beats run from the beat
/// whose step differs from the last step seen to the next such beat; beats without a step belong
/// to the run they fall in.
fn previous_step_start(timeline: &Timeline, played: usize) -> usize {
    let Some(current) = played.checked_sub(1) else {
        return 0;
    };
    let mut starts = Vec::new();
    let mut last = None;
    for (i, beat) in timeline.beats.iter().enumerate().take(current + 1) {
        if beat.step.is_some() && beat.step != last {
            starts.push(i);
            last = beat.step;
        }
    }
    match starts.last() {
        Some(&start) if start < current => start + 1,
        Some(_) if starts.len() >= 2 => starts[starts.len() - 2] + 1,
        _ => 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::present::timeline::{Beat, BeatKind, CommandSpan, Place};

    /// A timeline whose beats carry these steps, all of one command.
    fn timeline(steps: &[Option<Step>]) -> Timeline {
        let beats: Vec<Beat> = steps
            .iter()
            .enumerate()
            .map(|(i, step)| Beat {
                seq: i as u64,
                last_seq: i as u64,
                command: 0,
                step: *step,
                kind: BeatKind::TimePassed,
                from: Place::apiserver(),
                to: vec![Place::etcd()],
                tick: 0,
                waited_ticks: 0,
                revision: i as i64 + 10,
            })
            .collect();
        Timeline {
            commands: vec![CommandSpan {
                line: "kubectl".into(),
                host: "master".into(),
                first: 0,
                end: beats.len(),
            }],
            beats: beats.into_iter().collect(),
            base_revision: 9,
            first_kept: 0,
        }
    }

    #[test]
    fn playing_moves_one_beat_per_elapsed_and_stops_at_live() {
        let t = timeline(&[Some(1), Some(2), Some(3)]);
        let mut p = Player::default();
        p.apply(PlayerAction::Play, &t);
        assert!(p.playing);
        for want in 1..=3 {
            p.apply(PlayerAction::Elapsed, &t);
            assert_eq!(p.played, want);
        }
        assert!(!p.playing, "stops at live");
        assert!(p.is_live(&t));
        p.apply(PlayerAction::Elapsed, &t);
        assert_eq!(p.played, 3);
    }

    #[test]
    fn arrows_move_one_beat_and_pause() {
        let t = timeline(&[Some(1), Some(2), Some(3)]);
        let mut p = Player {
            played: 3,
            playing: true,
            ..Player::default()
        };
        p.apply(PlayerAction::Back, &t);
        assert_eq!((p.played, p.playing), (2, false));
        p.apply(PlayerAction::Back, &t);
        p.apply(PlayerAction::Back, &t);
        p.apply(PlayerAction::Back, &t);
        assert_eq!(p.played, 0, "never before the start");
        p.apply(PlayerAction::Forward, &t);
        assert_eq!(p.played, 1);
        assert_eq!(
            t.revision_at(0),
            9,
            "the start shows the store before any command"
        );
        assert_eq!(t.revision_at(1), 10);
    }

    #[test]
    fn step_jumps_land_on_the_first_beat_of_a_step() {
        let t = timeline(&[Some(1), Some(2), Some(2), Some(3), None, Some(3), Some(4)]);
        let mut p = Player::default();
        p.apply(PlayerAction::NextStep, &t);
        assert_eq!((p.played, p.step(&t)), (1, Some(1)));
        p.apply(PlayerAction::NextStep, &t);
        assert_eq!((p.played, p.step(&t)), (2, Some(2)));
        p.apply(PlayerAction::NextStep, &t);
        assert_eq!((p.played, p.step(&t)), (4, Some(3)));
        p.apply(PlayerAction::NextStep, &t);
        assert_eq!((p.played, p.step(&t)), (7, Some(4)));
        p.apply(PlayerAction::NextStep, &t);
        assert!(p.is_live(&t));
        p.apply(PlayerAction::PreviousStep, &t);
        assert_eq!(p.played, 4, "live is step 4's first beat: back to step 3's");
        p.apply(PlayerAction::PreviousStep, &t);
        assert_eq!(p.played, 2, "then step 2's first beat");
        p.played = 6;
        p.apply(PlayerAction::PreviousStep, &t);
        assert_eq!(p.played, 4, "within a step: to its first beat");
        assert_eq!(p.step(&t), Some(3));
    }

    #[test]
    fn a_new_command_from_the_past_plays_from_its_own_start() {
        let mut t = timeline(&[Some(1), Some(2), Some(3)]);
        let mut p = Player {
            played: 1,
            ..Player::default()
        };
        // The command appended beats 3..6.
        for _ in 0..3 {
            let mut b = t.beats[0].clone();
            b.command = 1;
            t.beats.push(b);
        }
        p.apply(PlayerAction::CommandRan { first: 3 }, &t);
        assert_eq!((p.played, p.playing), (4, true));
        p.animate = false;
        p.apply(PlayerAction::CommandRan { first: 3 }, &t);
        assert_eq!(
            (p.played, p.playing),
            (6, false),
            "animation off: straight to live"
        );
    }

    #[test]
    fn a_settled_command_has_no_step_in_play() {
        let mut t = timeline(&[Some(1), Some(4)]);
        t.beats[1].kind = BeatKind::Settled;
        let mut p = Player {
            played: 1,
            ..Player::default()
        };
        assert_eq!(p.step(&t), Some(1));
        p.apply(PlayerAction::Forward, &t);
        assert_eq!(p.step(&t), None);
    }

    #[test]
    fn the_playhead_stops_at_the_oldest_history_kept() {
        let mut t = timeline(&[Some(1), Some(2), Some(3), Some(4)]);
        t.first_kept = 2;
        let mut p = Player {
            played: 4,
            ..Player::default()
        };
        p.apply(PlayerAction::Start, &t);
        assert_eq!(p.played, 2);
        p.apply(PlayerAction::Back, &t);
        assert_eq!(p.played, 2);
        p.apply(PlayerAction::Seek(0), &t);
        assert_eq!(p.played, 2);
    }

    #[test]
    fn speed_stays_within_its_range_and_scales_the_beat_time() {
        let t = timeline(&[Some(1)]);
        let mut p = Player {
            played: 1,
            ..Player::default()
        };
        let at_1x = p.beat_ms(&t).expect("a beat in play");
        for _ in 0..10 {
            p.apply(PlayerAction::Faster, &t);
        }
        assert_eq!(p.speed_factor(), 8.0);
        assert_eq!(p.beat_ms(&t), Some((f64::from(at_1x) / 8.0).round() as u32));
        for _ in 0..10 {
            p.apply(PlayerAction::Slower, &t);
        }
        assert_eq!(p.speed_factor(), 0.25);
        assert_eq!(p.beat_ms(&t), Some(at_1x * 4));
    }
}
