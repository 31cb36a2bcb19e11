import streamlit as st

st.title("Kort")
st.info("Siden er under opbygning.")
