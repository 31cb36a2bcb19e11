import streamlit as st

st.title("Udforsk")
st.info("Siden er under opbygning.")
