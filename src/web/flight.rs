//! The message in flight: a dot with a label that moves from one box to another (to several, for
//! a watch fan-out), or a pulse on a box for what a component does where it stands.
//!
//! Movement is a CSS animation between positions measured once per beat from the boxes'
//! `data-place` elements; nothing is redrawn per frame.

use wasm_bindgen::JsCast;
use web_sys::{Element, HtmlElement};
use yew::prelude::*;

pub use crate::present::narration::label;

/// What to draw for the beat in play.
#[derive(Clone, Debug, PartialEq)]
pub struct FlightSpec {
    /// Changes with every beat, so the same message twice still animates twice.
    pub key: usize,
    /// The `data-place` id it leaves from.
    pub from: String,
    /// The `data-place` ids it goes to.
    pub to: Vec<String>,
    pub label: String,
    /// How long the flight takes, in milliseconds (the beat's time at the player's speed).
    pub ms: u32,
    /// The beat's kind (`Request`, `Watch`, ...), for its colour.
    pub kind: &'static str,
}

#[derive(Properties, PartialEq)]
pub struct FlightProps {
    pub spec: Option<FlightSpec>,
}

/// The centre of a place's element, relative to `origin`'s top-left corner.
fn centre(place: &str, origin: &web_sys::DomRect) -> Option<(f64, f64)> {
    let doc = web_sys::window()?.document()?;
    let el = doc
        .query_selector(&format!("[data-place=\"{place}\"]"))
        .ok()??;
    let r = el.get_bounding_client_rect();
    Some((
        r.left() + r.width() / 2.0 - origin.left(),
        r.top() + r.height() / 2.0 - origin.top(),
    ))
}

fn draw(layer: &Element, spec: &FlightSpec) -> Option<()> {
    let doc = web_sys::window()?.document()?;
    layer.set_text_content(None);
    let origin = layer.get_bounding_client_rect();
    let from = centre(&spec.from, &origin)?;
    for to in &spec.to {
        let Some(target) = centre(to, &origin) else {
            continue;
        };
        let dot: HtmlElement = doc.create_element("div").ok()?.dyn_into().ok()?;
        let still = *to == spec.from;
        dot.set_class_name(&format!(
            "flight flight--{} {}",
            spec.kind.to_lowercase(),
            if still {
                "flight--pulse"
            } else {
                "flight--move"
            }
        ));
        // Through the CSSOM, which the page's Content-Security-Policy allows; a `style`
        // attribute is inline style, which it refuses.
        let style = dot.style();
        for (name, value) in [
            ("--x0", format!("{:.0}px", from.0)),
            ("--y0", format!("{:.0}px", from.1)),
            ("--x1", format!("{:.0}px", target.0)),
            ("--y1", format!("{:.0}px", target.1)),
            ("--ms", format!("{}ms", spec.ms)),
        ] {
            let _ = style.set_property(name, &value);
        }
        let tag = doc.create_element("span").ok()?;
        tag.set_class_name("flight__label");
        tag.set_text_content(Some(&spec.label));
        let _ = dot.append_child(&tag);
        let _ = layer.append_child(&dot);
        // One label is enough for a fan-out: the others fly as dots.
        if spec.to.len() > 1 && to != &spec.to[0] {
            let _ = dot.remove_child(&tag);
        }
    }
    Some(())
}

#[function_component(Flight)]
pub fn flight(props: &FlightProps) -> Html {
    let layer = use_node_ref();
    {
        let layer = layer.clone();
        use_effect_with(props.spec.clone(), move |spec| {
            if let Some(el) = layer.cast::<Element>() {
                match spec {
                    Some(spec) => {
                        draw(&el, spec);
                    }
                    None => el.set_text_content(None),
                }
            }
        });
    }
    html! { <div class="flights" ref={layer} aria-hidden="true" data-flights=""></div> }
}
