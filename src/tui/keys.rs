//! Keys: a pure function from (state, key) to a new view state and what the loop must do.

use crate::tui::state::{DashboardState, Focus};
use ratatui::crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// What the live loop does after a key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Nothing beyond the view change.
    None,
    /// Quit.
    Quit,
    /// Pause or resume the replay.
    TogglePause,
    /// Speed up (+1) or slow down (−1).
    Speed(i8),
    /// Export the selected alert's evidence.
    Export,
    /// Recording on/off.
    Record,
    /// The user changed the selected cell's mark (good / suspect / none): record it in the
    /// baseline.
    Mark,
}

/// Apply a key to the view state.
pub fn handle_key(s: &mut DashboardState, key: KeyEvent) -> Action {
    if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
        return Action::Quit;
    }
    let v = &mut s.view;
    if v.editing_filter {
        match key.code {
            KeyCode::Enter => v.editing_filter = false,
            KeyCode::Esc => {
                v.editing_filter = false;
                v.filter.clear();
            }
            KeyCode::Backspace => {
                v.filter.pop();
            }
            KeyCode::Char(c) if v.filter.chars().count() < 32 => {
                v.filter.push(c.to_ascii_lowercase());
            }
            _ => {}
        }
        v.cell_index = 0;
        return Action::None;
    }
    v.message = None;
    if v.help || v.details {
        // Overlays: esc / enter / ? / q close them (q still quits from the help).
        match key.code {
            KeyCode::Char('q') if v.help => return Action::Quit,
            KeyCode::Esc | KeyCode::Enter | KeyCode::Char('?') | KeyCode::Char('q') => {
                v.help = false;
                v.details = false;
                return Action::None;
            }
            KeyCode::Char('e') if v.details => return Action::Export,
            KeyCode::Up | KeyCode::Char('k') if v.details => {
                v.details_scroll = v.details_scroll.saturating_sub(1);
                return Action::None;
            }
            KeyCode::Down | KeyCode::Char('j') if v.details => {
                v.details_scroll = v.details_scroll.saturating_add(1);
                return Action::None;
            }
            KeyCode::PageUp if v.details => {
                v.details_scroll = v.details_scroll.saturating_sub(10);
                return Action::None;
            }
            KeyCode::PageDown | KeyCode::Char(' ') if v.details => {
                v.details_scroll = v.details_scroll.saturating_add(10);
                return Action::None;
            }
            KeyCode::Home | KeyCode::Char('g') if v.details => {
                v.details_scroll = 0;
                return Action::None;
            }
            _ => return Action::None,
        }
    }
    match key.code {
        KeyCode::Char('q') => return Action::Quit,
        KeyCode::Char(' ') => return Action::TogglePause,
        KeyCode::Char('+') | KeyCode::Char('=') => return Action::Speed(1),
        KeyCode::Char('-') | KeyCode::Char('_') => return Action::Speed(-1),
        KeyCode::Char('e') => return Action::Export,
        KeyCode::Char('r') => return Action::Record,
        KeyCode::Tab | KeyCode::BackTab => {
            v.focus = match v.focus {
                Focus::Cells => Focus::Alerts,
                Focus::Alerts => Focus::Cells,
            }
        }
        KeyCode::Up | KeyCode::Char('k') => s.move_selection(-1),
        KeyCode::Down | KeyCode::Char('j') => s.move_selection(1),
        KeyCode::PageUp => s.move_selection(-10),
        KeyCode::PageDown => s.move_selection(10),
        KeyCode::Home | KeyCode::Char('g') => s.move_selection(-1_000_000),
        KeyCode::End | KeyCode::Char('G') => s.move_selection(1_000_000),
        KeyCode::Enter => {
            v.details = true;
            v.details_scroll = 0;
        }
        KeyCode::Char('/') => {
            v.editing_filter = true;
            v.filter.clear();
        }
        KeyCode::Char('s') => {
            v.sort = v.sort.next();
            v.cell_index = 0;
        }
        KeyCode::Char('m') => {
            return match s.mark_selected() {
                Some(msg) => {
                    s.view.message = Some(msg);
                    Action::Mark
                }
                None => {
                    s.view.message = Some("no cell selected".into());
                    Action::None
                }
            };
        }
        KeyCode::Char('f') => {
            let msg = s.toggle_finder();
            s.view.message = Some(msg);
        }
        KeyCode::Char('c') => v.counters = !v.counters,
        KeyCode::Char('?') => v.help = true,
        KeyCode::Esc => v.filter.clear(),
        _ => {}
    }
    Action::None
}
