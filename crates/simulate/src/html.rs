pub fn render(_r: &crate::report::Report) -> String { String::new() }
