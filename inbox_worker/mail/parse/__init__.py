"""From raw bytes to ParsedMail: mail-parser and the reply parser, HTML to text, large mails, forwards."""
